import './styles.css';
import { createApp } from './app';

const root = document.getElementById('app');
if (root) {
  const app = createApp();
  root.replaceChildren(app.el);
  void app.start();
}
