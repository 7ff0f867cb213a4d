import '../styles.css';
import { createApp, type App } from '../app';
import { FakeBackend } from './fakeBackend';

export interface Mounted {
  app: App;
  backend: FakeBackend;
  root: HTMLElement;
  unmount(): void;
}

/** Installs a fresh fake backend (optionally tuned first) and mounts the app. */
export async function mountApp(tune?: (backend: FakeBackend) => void): Promise<Mounted> {
  const backend = new FakeBackend();
  tune?.(backend);
  backend.install();
  const app = createApp();
  const root = document.createElement('div');
  document.body.replaceChildren(root);
  root.append(app.el);
  await app.start();
  return {
    app,
    backend,
    root,
    unmount() {
      app.destroy();
      root.remove();
      backend.uninstall();
    },
  };
}
