// The real app in a real window: tauri-driver with WebKitWebDriver under Xvfb, driving the
// desktop binary over WebDriver, against a real `portraits serve` on 127.0.0.1.
//
//   xvfb-run -a node --test tests/desktop.test.mjs
//
// Needs: target/{debug,release}/portraits-desktop and portraits (DESKTOP_BIN, PORTRAITS_BIN to
// choose), tauri-driver on PATH (cargo install tauri-driver --locked), WebKitWebDriver
// (webkit2gtk-driver), pdftotext. SCREENSHOTS_DIR keeps a screenshot of every screen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { Session, sleep, startDriver } from './webdriver.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The newer of the release and debug builds.
const pick = (name) =>
  ['release', 'debug']
    .map((p) => path.join(root, 'target', p, name))
    .filter((f) => fs.existsSync(f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
const DESKTOP = process.env.DESKTOP_BIN ?? pick('portraits-desktop');
const CLI = process.env.PORTRAITS_BIN ?? pick('portraits');
const SHOTS = process.env.SCREENSHOTS_DIR;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'portraits-e2e-'));
const DB = path.join(work, 'desktop.sqlite3');
const env = { ...process.env, PORTRAITS_CREDENTIALS: path.join(work, 'credentials.json'), PORTRAITS_DIALOG_DIR: work, PORTRAITS_RETRY_BASE_MS: '50' };

let driver, server, serverUrl, cityToken, staffToken;
const launch = () => Session.start(DESKTOP, ['--db', DB], SHOTS);

before(async () => {
  assert.ok(DESKTOP && fs.existsSync(DESKTOP), 'build the desktop app first (cargo build -p portraits-desktop)');
  assert.ok(CLI && fs.existsSync(CLI), 'build the CLI first');
  // The real server, with a token for Cork's coordinator.
  const serverDb = path.join(work, 'uil.sqlite3');
  cityToken = execFileSync(CLI, ['--db', serverDb, 'token', 'issue', '--city', 'ie-cork'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  staffToken = execFileSync(CLI, ['--db', serverDb, 'token', 'issue', '--staff'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  server = spawn(CLI, ['--db', serverDb, 'serve', '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  serverUrl = await new Promise((resolve, reject) => {
    let buf = '';
    server.stderr.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', () => reject(new Error(`server exited: ${buf}`)));
  });
  driver = await startDriver(env);
});

after(async () => {
  driver?.kill();
  server?.kill();
  spawnSync('pkill', ['-f', `portraits-desktop --db ${DB}`]);
});

test('the desktop window: browse, search, edit, kill, restart, submit, review, export, restore', { timeout: 300_000 }, async () => {
  let s = await launch();
  // The catalogue lists 44 cities; cold start to the first painted list is measured.
  await s.waitText('[data-testid=count]', /^44 cities$/);
  const start = await s.jsAsync(`
    const done = arguments[arguments.length - 1];
    window.__TAURI_INTERNALS__.invoke('uptime_ms').then((up) => {
      const mark = performance.getEntriesByName('first-list-paint')[0];
      done({ up, now: performance.now(), mark: mark ? mark.startTime : null });
    });`);
  assert.ok(start.mark !== null, 'the first-list-paint mark exists');
  const coldStartMs = start.up - start.now + start.mark;
  console.log(`cold start to first painted list: ${coldStartMs.toFixed(0)} ms`);
  fs.writeFileSync(path.join(work, 'cold-start.json'), JSON.stringify({ coldStartMs }));
  await s.shot('desktop-cities');

  // Search: "eskisehir" finds Eskişehir.
  await s.type('[data-testid=search]', 'eskisehir');
  await s.waitText('[data-testid=results]', /Eskişehir/);
  await s.shot('desktop-search');

  // Sign in as Cork's coordinator against the real server.
  await s.go('#/settings');
  await s.type('[data-testid=feed-url]', serverUrl);
  await s.click('[data-testid=save-settings]');
  await s.waitText('[data-testid=settings-message]', /Saved/);
  await s.type('[data-testid=token]', cityToken);
  await s.click('[data-testid=sign-in]');
  await s.waitText('[data-testid=identity]', /coordinator of ie-cork/);
  await s.shot('desktop-settings');

  // Open Cork, edit its lead, see the draft saved.
  await s.go('#/city/ie-cork');
  await s.waitText('[data-testid=portrait]', /A firm commitment/);
  await s.shot('desktop-city');
  await s.go('#/edit/ie-cork');
  await s.find('[data-testid=lead]');
  await s.type('[data-testid=lead]', 'Cork, a learning city of festivals: edited in the desktop window.');
  await s.waitText('[data-testid=save-status]', /Draft saved/);
  await s.shot('desktop-edit');

  // Kill the app (no goodbye), start it again: the draft is there.
  const killed = spawnSync('pkill', ['-9', '-f', `portraits-desktop --db ${DB}`]);
  assert.equal(killed.status, 0, 'the app process was found and killed');
  await s.stop();
  await sleep(1000);
  s = await launch();
  await s.waitText('[data-testid=count]', /^44 cities$/);
  await s.go('#/edit/ie-cork');
  await s.find('[data-testid=lead]');
  const lead = await s.js(`return document.querySelector('[data-testid=lead]').value;`);
  assert.equal(lead, 'Cork, a learning city of festivals: edited in the desktop window.', 'the draft survived the kill');
  await s.waitText('[data-testid=save-status]', /Draft based on version 1/);

  // Submit it to the real server: "submitted".
  await s.click('[data-testid=submit]');
  await s.waitText('[data-testid=submit-status]', /Submitted: status “submitted”/);
  await s.go('#/submissions');
  await s.waitText('[data-testid=my-submission]', /submitted/);
  await s.shot('desktop-submissions');

  // UIL staff review it in the window: the inbox, the per-field diff, accept; the next sync
  // brings version 2 to this laptop.
  await s.go('#/settings');
  // A backup now, while Cork's latest is version 1 (restored at the end).
  await s.click('[data-testid=backup]');
  await s.waitText('[data-testid=settings-message]', /Backed up: .*portraits-backup\.sqlite3/);
  assert.ok(fs.statSync(path.join(work, 'portraits-backup.sqlite3')).size > 0, 'the backup file was written');
  await s.click('[data-testid=sign-out]');
  await s.find('[data-testid=token]');
  await s.type('[data-testid=token]', staffToken);
  await s.click('[data-testid=sign-in]');
  await s.waitText('[data-testid=identity]', /UIL staff/);
  await s.go('#/submissions');
  await s.click('[data-testid=inbox-ie-cork]');
  await s.waitText('[data-testid=review]', /lead/);
  await s.shot('desktop-review');
  await s.js(`[...document.querySelectorAll('[data-testid=review] button')].find((b) => b.textContent.startsWith('Accept')).click();`);
  await s.waitText('[data-testid=review]', /published as version 2/);
  await s.js(`[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Sync now').click();`);
  await s.go('#/city/ie-cork');
  for (let i = 0; i < 50; i++) {
    const t = await s.js(`return document.querySelector('[data-testid=portrait]')?.textContent ?? '';`);
    if (t.includes('edited in the desktop window')) break;
    await sleep(300);
    await s.go('#/cities');
    await s.go('#/city/ie-cork');
  }
  await s.waitText('[data-testid=portrait]', /edited in the desktop window/);

  // Export a booklet: the PDF has the cities' names.
  await s.go('#/booklets');
  await s.find('[data-testid=booklet-list] button');
  await s.js(`[...document.querySelectorAll('[data-testid=booklet-list] button')].find((b) => b.textContent.includes('Award 2019')).click();`);
  await s.find('[data-testid=entry]');
  await s.click('[data-testid=export]');
  const done = await s.waitText('[data-testid=exported]', /Wrote .*\.pdf/, 60000);
  const file = done.match(/Wrote (.*\.pdf)/)[1];
  const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
  for (const name of ['Medellín', 'Sønderborg', 'Aswan', 'Heraklion', 'Petaling Jaya', 'Santiago', 'Ibadan', 'Chengdu', 'Seodaemun-gu', 'Melitopol']) {
    assert.ok(text.includes(name), `${name} is in the exported PDF`);
  }
  await s.shot('desktop-booklets');

  // Restore the backup taken before the review: Cork is back at version 1; the replaced file
  // is kept beside the database.
  await s.go('#/settings');
  await s.click('[data-testid=restore]');
  await s.waitText('[data-testid=settings-message]', /Restored: .*portraits-backup\.sqlite3/);
  await s.go('#/cities');
  await s.waitText('[data-testid=count]', /^44 cities$/);
  await s.go('#/city/ie-cork');
  await s.waitText('[data-testid=portrait]', /A firm commitment/);
  const restored = await s.js(`return document.querySelector('[data-testid=portrait]').textContent;`);
  assert.ok(!restored.includes('edited in the desktop window'), 'version 2 is gone after the restore');
  assert.ok(fs.existsSync(path.join(work, 'desktop.before-restore')), 'the replaced database is kept');
  await s.stop();
});
