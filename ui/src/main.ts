import './styles.css';
import { createApp } from './app';
import { mark } from './lib/timing';

mark('script-start');

const root = document.getElementById('app');
if (root) {
  const app = createApp();
  mark('app-created');
  root.replaceChildren(app.el);
  void app.start();
}
