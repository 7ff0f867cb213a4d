// The window's IPC: the typed client generated from Rust's IPC table (src-tauri/ipc_table.rs
// into bindings/ipc.ts, one function per command and one `onX` per event), and how to read a
// failed command.
import type { CommandError } from './bindings/CommandError';

export * from './bindings/ipc';

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && v.message.trim() !== '';
}

/**
 * A sentence to show a marketer for a failed command. Only a CommandError's
 * message is trusted to be written for people; anything else (a bare string
 * from the IPC layer, an Error with a stack) becomes the fallback sentence.
 */
export function errorMessage(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  return isCommandError(error) ? error.message : fallback;
}
