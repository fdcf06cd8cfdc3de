// What the browser tests share: the built UI (ui/dist, fake host) served on 127.0.0.1, Debian's
// Chromium through playwright-core, and screenshots into SCREENSHOTS_DIR when it is set.
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** Serves ui/dist and launches Chromium: `{ base, browser, close }`. */
export async function startUi() {
  assert.ok(fs.existsSync(path.join(dist, 'index.html')), 'build the UI first: npm run build');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(dist, decodeURIComponent(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html');
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { base, browser, close: async () => { await browser.close(); server.close(); } };
}

/** A screenshot of the page into SCREENSHOTS_DIR, when it is set. */
export async function shot(page, name) {
  const dir = process.env.SCREENSHOTS_DIR;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}.png`) });
  }
}

/**
 * Waits until `fn` (run in the page, awaited: it may be async) returns a truthy value, polling.
 * Playwright's waitForFunction does not await a promise the function returns: an async
 * function's promise is truthy at once, so such a wait would never wait.
 */
export async function until(page, fn, arg, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${String(fn).slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
