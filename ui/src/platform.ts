// The only module that imports `@tauri-apps/*`. Everything else goes through
// `ipc.ts`, which types each command's request and response.
import { invoke as tauriInvoke } from '@tauri-apps/api/core';
import { listen as tauriListen } from '@tauri-apps/api/event';

export type Unlisten = () => void;

/** Arguments of a Tauri command: camelCase keys, JSON values. */
export type CommandArgs = Record<string, unknown>;

export function invoke<T>(command: string, args?: CommandArgs): Promise<T> {
  return tauriInvoke<T>(command, args);
}

/** Subscribes to an app event; the handler receives the event's payload. */
// The payload type is named by ipc.ts from the bindings.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function listen<T>(event: string, handler: (payload: T) => void): Promise<Unlisten> {
  return tauriListen<T>(event, (e) => {
    handler(e.payload);
  });
}
