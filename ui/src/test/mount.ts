import '../styles.css';
import { createApp, type App, type LazyScreens } from '../app';
import { FakeBackend } from './fakeBackend';

export interface Mounted {
  app: App;
  backend: FakeBackend;
  root: HTMLElement;
  unmount(): void;
}

/** Installs a fresh fake backend (optionally tuned first) and mounts the app (with its own lazily loaded screens unless given). */
export async function mountApp(tune?: (backend: FakeBackend) => void, screens?: LazyScreens): Promise<Mounted> {
  const backend = new FakeBackend();
  tune?.(backend);
  backend.install();
  const app = createApp(screens);
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
