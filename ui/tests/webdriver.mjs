// WebDriver helpers for the desktop window (tauri-driver + WebKitWebDriver), shared by the
// e2e test and the desktop benchmark.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const DRIVER = 'http://127.0.0.1:4444';
export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

export async function wd(method, url, body) {
  // Node's fetch keeps connections alive: a client that closes every connection fails often.
  const r = await fetch(`${DRIVER}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${url}: ${JSON.stringify(j.value ?? j).slice(0, 500)}`);
  return j.value;
}

/** Starts tauri-driver and waits until it answers. */
export async function startDriver(env) {
  const driver = spawn('tauri-driver', ['--port', '4444'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    try { await fetch(`${DRIVER}/status`); break; } catch { await sleep(100); }
  }
  return driver;
}

export class Session {
  static async start(application, args, shots) {
    const value = await wd('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application, args } } },
    });
    const s = new Session();
    s.id = value.sessionId;
    s.shots = shots;
    return s;
  }

  async js(script, args = []) { return wd('POST', `/session/${this.id}/execute/sync`, { script, args }); }
  async jsAsync(script, args = []) { return wd('POST', `/session/${this.id}/execute/async`, { script, args }); }
  async find(css, timeout = 15000) {
    const end = Date.now() + timeout;
    for (;;) {
      try {
        const v = await wd('POST', `/session/${this.id}/element`, { using: 'css selector', value: css });
        return Object.values(v)[0];
      } catch (e) {
        if (Date.now() > end) throw e;
        await sleep(200);
      }
    }
  }
  async text(el) { return wd('GET', `/session/${this.id}/element/${el}/text`); }
  async click(css) { await wd('POST', `/session/${this.id}/element/${await this.find(css)}/click`, {}); }
  async type(css, text, clear = true) {
    const el = await this.find(css);
    if (clear) await wd('POST', `/session/${this.id}/element/${el}/clear`, {});
    await wd('POST', `/session/${this.id}/element/${el}/value`, { text });
  }
  async go(hash) { await this.js(`location.hash = arguments[0];`, [hash]); await sleep(300); }
  async waitText(css, pattern, timeout = 20000) {
    const end = Date.now() + timeout;
    let last = '';
    for (;;) {
      try {
        last = await this.js(`const e = document.querySelector(arguments[0]); return e ? e.textContent : '';`, [css]);
        if (pattern.test(last)) return last;
      } catch {}
      if (Date.now() > end) {
        const alerts = await this.js(`return [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent).join(' | ');`).catch(() => '');
        await this.shot('failure').catch(() => {});
        throw new Error(`${css}: ${JSON.stringify(last.slice(0, 300))} does not match ${pattern}; alerts: ${alerts}`);
      }
      await sleep(200);
    }
  }
  async shot(name) {
    if (!this.shots) return;
    fs.mkdirSync(this.shots, { recursive: true });
    const png = await wd('GET', `/session/${this.id}/screenshot`);
    fs.writeFileSync(path.join(this.shots, `${name}.png`), Buffer.from(png, 'base64'));
  }
  async stop() { await wd('DELETE', `/session/${this.id}`).catch(() => {}); }
}

