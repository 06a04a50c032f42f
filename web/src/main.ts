import './style.css';
import { startBridge } from './bridge';
import { startConsortium } from './consortium';
import { loadManifest } from './manifest';

// Two views on one page, chosen by the URL's hash (#bridge), so any path prefix works.
function route() {
  const bridge = location.hash === '#bridge' && !document.querySelector<HTMLElement>('[data-testid="nav-bridge"]')!.hidden;
  document.getElementById('consortium')!.hidden = bridge;
  document.getElementById('bridge')!.hidden = !bridge;
}

loadManifest().then((m) => {
  document.title = m.chain_name;
  document.getElementById('title')!.textContent = `${m.chain_name} (chain ${m.chain_id})`;
  startConsortium(m);
  if (m.bridge) {
    document.querySelector<HTMLElement>('[data-testid="nav-bridge"]')!.hidden = false;
    startBridge({ ...m, bridge: m.bridge });
  }
  window.addEventListener('hashchange', route);
  route();
}).catch((e) => {
  const el = document.querySelector<HTMLElement>('[data-testid="error"]')!;
  el.textContent = `Could not load the consortium manifest: ${e.message}`;
  el.hidden = false;
});
