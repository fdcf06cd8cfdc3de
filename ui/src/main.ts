import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import type { Host } from './host';
import { installLocale } from './i18n.svelte';

// The real host inside the Tauri window; the in-memory fake in a plain browser (tests).
async function pickHost(): Promise<Host> {
  if ('__TAURI_INTERNALS__' in window) {
    const { TauriHost } = await import('./host-tauri');
    return new TauriHost();
  }
  const { FakeHost } = await import('./host-fake');
  const fake = new FakeHost();
  (window as any).__fakeHost = fake; // for the browser tests
  return fake;
}

installLocale();

pickHost().then((host) => {
  mount(App, { target: document.getElementById('app')!, props: { host } });
});
