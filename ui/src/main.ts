import './styles.css';
import { createApp } from './app';
import { tagOperatingSystem } from './lib/operatingSystem';
import { mark } from './lib/timing';

mark('script-start');
tagOperatingSystem(document.documentElement, navigator.userAgent);

const root = document.getElementById('app');
if (root) {
  const app = createApp();
  mark('app-created');
  root.replaceChildren(app.el);
  void app.start();
}
