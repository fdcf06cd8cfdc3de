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
import net from 'node:net';
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
// A stand-in for xdg-open (first on PATH, inherited by the app through tauri-driver): it
// records what the opener plugin asked to open instead of starting a mail client.
const fakeBin = path.join(work, 'bin');
const OPENED = path.join(work, 'opened.txt');
fs.mkdirSync(fakeBin);
fs.writeFileSync(path.join(fakeBin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${OPENED}'\n`, { mode: 0o755 });
const CREDENTIALS = path.join(work, 'credentials.json');
const env = {
  ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, PORTRAITS_CREDENTIALS: CREDENTIALS, PORTRAITS_DIALOG_DIR: work, PORTRAITS_RETRY_BASE_MS: '50',
};

let driver, server, serverUrl, cityToken, staffToken;
const launch = () => Session.start(DESKTOP, ['--db', DB], SHOTS);

before(async () => {
  assert.ok(DESKTOP && fs.existsSync(DESKTOP), 'build the desktop app first (cargo build -p portraits-desktop)');
  assert.ok(CLI && fs.existsSync(CLI), 'build the CLI first');
  // The real server, with a token for Cork's coordinator.
  const serverDb = path.join(work, 'uil.sqlite3');
  cityToken = execFileSync(CLI, ['--db', serverDb, 'token', 'issue', '--city', 'ie-cork'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  staffToken = execFileSync(CLI, ['--db', serverDb, 'token', 'issue', '--staff'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  // Espoo has a French translation of its tagline and lead (issue 13): the French window reads it.
  const espoo = JSON.parse(execFileSync(CLI, ['--db', serverDb, 'show', 'fi-espoo', '--json'], { encoding: 'utf8' })).portrait;
  espoo.version += 1;
  espoo.source = { booklet: null, published: '2026-12-01' };
  espoo.translations = { fr: {
    ...(espoo.tagline ? { tagline: 'Espoo, une ville qui apprend à tout âge' } : {}),
    lead: 'Espoo, deuxième ville de Finlande, fait de l’apprentissage tout au long de la vie le cœur de sa stratégie.',
  } };
  const espooFile = path.join(work, 'espoo-fr.json');
  fs.writeFileSync(espooFile, JSON.stringify(espoo));
  execFileSync(CLI, ['--db', serverDb, 'import', espooFile], { stdio: 'ignore' });
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
  // The window's default feed is "the network's": here, the real server on 127.0.0.1.
  env.PORTRAITS_DEFAULT_FEED = serverUrl;
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

  // First launch: the network's feed is the default and the first sync ran by itself.
  await s.waitText('[data-testid=sync-indicator]', /Online/, 30000);
  await s.go('#/settings');
  assert.equal(await s.js(`return document.querySelector('[data-testid=feed-url]').value;`), serverUrl);
  // Cork's coordinator connects with the invitation's token: one step.
  await s.type('[data-testid=token]', cityToken);
  await s.click('[data-testid=connect]');
  await s.waitText('[data-testid=connect-message]', /Connected to .* Signed in as the coordinator of Cork\./, 30000);
  await s.waitText('[data-testid=identity]', /coordinator of Cork/);
  await s.shot('desktop-settings');

  // Open Cork, edit its lead, see the draft saved.
  await s.go('#/city/ie-cork');
  await s.waitText('[data-testid=portrait]', /A firm commitment/);
  await s.shot('desktop-city');
  // The partner finder in the real window: Cantarranas's partners, with reasons from the core.
  await s.go('#/city/hn-cantarranas');
  await s.click('[data-testid=find-partners]');
  await s.waitText('[data-testid=partners]', /both write about: .*both work on/is);
  assert.equal(await s.js(`return document.querySelectorAll('[data-testid=partners] > li').length;`), 5);
  await s.shot('desktop-partners');
  // The member record and the map in the real window: Sønderborg's record from the core, its
  // dot on the offline map (countries drawn without the network), found and opened.
  await s.go('#/city/dk-sonderborg');
  await s.waitText('[data-testid=member-record]', /Member since\s*2016.*Learning City Award\s*2019.*Erik Lauritzen/s);
  await s.click('[data-testid=member-record] a[href^="#/map"]');
  await s.waitText('[data-testid=map-count]', /44 of 44 cities shown/, 30000);
  assert.ok(await s.js(`return document.querySelectorAll('[data-testid=map] path.country').length;`) > 200);
  assert.equal(await s.js(`return document.querySelector('[data-testid=map-dot-dk-sonderborg]').getAttribute('aria-label');`),
    'Sønderborg, Denmark, Learning City Award 2019');
  await s.waitText('[data-testid=map-find-status]', /Sønderborg, Denmark, Learning City Award 2019: press Enter/);
  await s.shot('desktop-map');
  // WebKitWebDriver does not click SVG elements ("not interactable"): the dot's own click, as a
  // pointer would send it.
  await s.js(`document.querySelector('[data-testid=map-dot-dk-sonderborg]').dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));`);
  await s.waitText('[data-testid=portrait]', /Sønderborg/);
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
  await s.waitText('[data-testid=save-status]', /Draft based on version 2/);

  // Submit it to the real server: "submitted".
  await s.click('[data-testid=submit]');
  await s.waitText('[data-testid=submit-summary]', /Lead paragraph: .* → Cork, a learning city of festivals/);
  await s.click('[data-testid=confirm-submit]');
  await s.waitText('[data-testid=submit-status]', /Submitted for review/);
  await s.go('#/submissions');
  await s.waitText('[data-testid=my-submission]', /^\s*Submitted\s*·\s*sent \d+ \w{3} \d{4}, \d\d:\d\d/);
  await s.shot('desktop-submissions');

  // UIL staff review it in the window: the inbox, the per-field diff, accept; the next sync
  // brings version 3 to this laptop.
  await s.go('#/settings');
  // A backup now, while Cork's latest is version 2 (restored at the end).
  await s.click('[data-testid=backup]');
  await s.waitText('[data-testid=settings-message]', /Backed up: .*portraits-backup\.sqlite3/);
  assert.ok(fs.statSync(path.join(work, 'portraits-backup.sqlite3')).size > 0, 'the backup file was written');
  await s.click('[data-testid=sign-out]');
  await s.find('[data-testid=token]');
  await s.type('[data-testid=token]', staffToken);
  await s.click('[data-testid=connect]');
  await s.waitText('[data-testid=identity]', /UIL staff/);
  await s.go('#/submissions');
  await s.click('[data-testid=inbox-ie-cork]');
  await s.waitText('[data-testid=review]', /Lead paragraph/);
  await s.waitText('[data-testid=review-status]', /^In review$/);
  await s.shot('desktop-review');
  await s.click('[data-testid=accept]');
  await s.waitText('[data-testid=decision]', /published as version 3/);
  await s.waitText('[data-testid=decided]', /Accepted .*published as version 3/);
  assert.equal(await s.js(`return document.querySelectorAll('[data-testid=accept]').length;`), 0, 'decided: no decision buttons');
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
  // The same booklet for a print shop, imposed: two A5 pages side by side on each A4 sheet
  // side, with bleed and crop marks around, and a trim box.
  await s.js(`document.querySelector('[data-testid=print]').click();`);
  await s.find('[data-testid=print-saddle]');
  await s.js(`document.querySelector('[data-testid=print-saddle]').click();`);
  // …and in French: the contents and facts come out in French.
  await s.js(`const l = document.querySelector('[data-testid=booklet-lang]'); l.value = 'fr'; l.dispatchEvent(new Event('change', { bubbles: true }));`);
  await s.click('[data-testid=export]');
  const printed = await s.waitText('[data-testid=exported]', /Wrote .*-fr-print\.pdf.*in Français, for the print shop/, 60000);
  const printFile = printed.match(/Wrote (.*-fr-print\.pdf)/)[1];
  const box = execFileSync('pdfinfo', ['-box', printFile], { encoding: 'utf8' });
  const size = box.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/);
  assert.ok(size && Math.abs(Number(size[1]) - (2 * 419.53 + 2 * (8.5 + 28.35))) < 1.5, `two A5 pages a sheet, with bleed and marks around: ${box}`);
  assert.match(box, /TrimBox:/);
  const french = execFileSync('pdftotext', [printFile, '-'], { encoding: 'utf8' });
  assert.ok(french.includes('Table des matières') && french.includes('Population de la ville'), 'the print file is in French');
  await s.shot('desktop-booklets');

  // The window in French (Settings › Language): at once, without a restart; the menu and the
  // title follow (set_menu_labels answers). Back to the system's language for what follows.
  await s.go('#/settings');
  await s.find('#window-language');
  await s.js(`const l = document.getElementById('window-language'); l.value = 'fr'; l.dispatchEvent(new Event('change', { bubbles: true }));`);
  await s.waitText('[data-testid=nav-submissions]', /Soumissions/);
  await s.go('#/cities');
  await s.waitText('[data-testid=count]', /^44 villes$/);
  assert.equal(await s.js('return document.title;'), 'Portraits de villes apprenantes');
  assert.equal(await s.js('return document.documentElement.lang;'), 'fr');
  await s.shot('desktop-fr-cities');
  // A portrait with a French translation reads in French, the rest in English, said so.
  await s.go('#/city/fi-espoo');
  await s.find('[data-testid=portrait][data-lang=fr]');
  assert.equal(await s.js(`return document.querySelector('[data-testid=portrait] .lead').getAttribute('lang');`), 'fr');
  assert.match(await s.js(`return document.querySelector('[data-testid=portrait] .lead').textContent;`), /deuxième ville de Finlande/);
  await s.waitText('[data-testid=translation-fallback]', /pas encore traduites en français/);
  await s.shot('desktop-fr-translated');
  await s.go('#/settings');
  await s.find('#window-language');
  await s.js(`const l = document.getElementById('window-language'); l.value = 'system'; l.dispatchEvent(new Event('change', { bubbles: true }));`);
  await s.waitText('[data-testid=nav-submissions]', /Submissions/);

  // Restore the backup taken before the review: Cork is back at version 2; the replaced file
  // is kept beside the database.
  await s.go('#/settings');
  await s.click('[data-testid=restore]');
  await s.waitText('[data-testid=settings-message]', /Restored: .*portraits-backup\.sqlite3/);
  await s.go('#/cities');
  await s.waitText('[data-testid=count]', /^44 cities$/);
  await s.go('#/city/ie-cork');
  await s.waitText('[data-testid=portrait]', /A firm commitment/);
  const restored = await s.js(`return document.querySelector('[data-testid=portrait]').textContent;`);
  assert.ok(!restored.includes('edited in the desktop window'), 'version 3 is gone after the restore');
  assert.ok(fs.existsSync(path.join(work, 'desktop.before-restore')), 'the replaced database is kept');
  await s.stop();
});

// ---- the window never waits on the network (issue 8, points 5, 6, 11) ----------------------

/** A server on 127.0.0.1 that accepts connections, reads what is sent and never answers. */
function silentServer() {
  const sockets = new Set();
  let accepted = 0;
  const srv = net.createServer((sock) => {
    accepted += 1;
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.resume();
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`,
    accepted: () => accepted,
    close: () => { for (const s of sockets) s.destroy(); srv.close(); },
  })));
}

/** Keeps (or, with null, forgets) a feed's token in the credentials file the app reads (PORTRAITS_CREDENTIALS). */
function keepToken(feed, token) {
  const c = fs.existsSync(CREDENTIALS) ? JSON.parse(fs.readFileSync(CREDENTIALS, 'utf8')) : { tokens: {} };
  if (token === null) delete c.tokens[feed];
  else c.tokens[feed] = token;
  fs.writeFileSync(CREDENTIALS, JSON.stringify(c), { mode: 0o600 });
}

async function until(what, check, timeout = 30000) {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(100);
  }
}

/**
 * Runs `action` (JavaScript) in the page and measures, in the page, the milliseconds until the
 * `prop` of `css` matches `pattern` (-1 after `limit` ms). The clock runs from the action to the
 * painted answer, so the round trips of WebDriver itself are not counted.
 */
function answerMs(s, action, css, pattern, { prop = 'textContent', limit = 10000 } = {}) {
  return s.jsAsync(`
    const [css, source, flags, prop, limit] = arguments;
    const done = arguments[arguments.length - 1];
    const re = new RegExp(source, flags);
    const t0 = performance.now();
    ${action}
    const tick = () => {
      const e = document.querySelector(css);
      if (e && re.test(String(e[prop] ?? ''))) done(performance.now() - t0);
      else if (performance.now() - t0 > limit) done(-1);
      else setTimeout(tick, 5);
    };
    tick();`, [css, pattern.source, pattern.flags, prop, limit]);
}

/** In Settings: the real server's feed URL and Cork's token, then one Connect. */
async function signInAsCork(s) {
  await s.go('#/settings');
  await s.type('[data-testid=feed-url]', serverUrl);
  await s.type('[data-testid=token]', cityToken);
  await s.click('[data-testid=connect]');
  await s.waitText('[data-testid=identity]', /coordinator of Cork/);
  await s.waitText('[data-testid=connect-message]', /^Connecting and syncing…$|^Connected to/);
}

const corkDraft = () => {
  const file = path.join(work, 'cork-draft.json');
  // Cork's latest bundled version (its member record, version 2).
  const dir = path.join(root, 'data', 'portraits', 'ie-cork');
  const latest = fs.readdirSync(dir).filter((f) => /^v\d+\.json$/.test(f)).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1))).pop();
  const cork = JSON.parse(fs.readFileSync(path.join(dir, latest), 'utf8'));
  // The tagline: a field the first test's version 3 leaves alone, so a rebase onto it is clean.
  cork.tagline = 'Submitted while the server is silent';
  fs.writeFileSync(file, JSON.stringify(cork));
  return file;
};

test('a server that never answers: Submit queues at once, every screen answers within 1 s, Sync now says a sync runs', { timeout: 180_000 }, async () => {
  const silent = await silentServer();
  const db = path.join(work, 'silent.sqlite3');
  execFileSync(CLI, ['--db', db, 'draft', 'set', 'ie-cork', '--from', corkDraft()], { env, stdio: 'ignore' });
  keepToken(serverUrl, null); // signed out of the real server: this window signs in below
  keepToken(silent.url, cityToken);
  const s = await Session.start(DESKTOP, ['--db', db], SHOTS);
  const times = {};
  try {
    await s.waitText('[data-testid=count]', /^44 cities$/);
    // Cork's coordinator signs in against the real server, then the feed moves to the silent one.
    await signInAsCork(s);
    await s.type('[data-testid=feed-url]', silent.url);
    await s.click('[data-testid=connect]');
    await s.waitText('[data-testid=connect-message]', /^Connecting and syncing…$/);
    // The background sync is now stuck in a request to the silent server.
    await until('the sync connects to the silent server', () => silent.accepted() > 0);
    await s.waitText('[data-testid=sync-phase]', new RegExp(`downloading the catalogue from ${silent.url.replace(/[.]/g, '\\.')}`));

    // Submit answers at once: queued, pending.
    await s.go('#/edit/ie-cork');
    // (rebased onto version 3 when the first test published it on the real server)
    await s.waitText('[data-testid=save-status]', /Draft based on version \d+/);
    assert.equal(await s.js(`return document.querySelector('[data-testid=submit]').disabled;`), false, 'Submit is enabled');
    await s.click('[data-testid=submit]');
    await s.find('[data-testid=submit-summary]');
    times.submit = await answerMs(s, `document.querySelector('[data-testid=confirm-submit]').click();`,
      '[data-testid=submit-status]', /Queued — it will be sent when the server answers/);
    assert.ok(times.submit >= 0, 'Submit answered: queued');
    await s.waitText('[data-testid=sync-pending]', /1 pending submission$/);
    await s.shot('desktop-silent-submit');

    // Cities, a search, Settings, Sync now, the outbox: each within 1 s while the sync hangs.
    times.cities = await answerMs(s, `location.hash = '#/cities';`, '[data-testid=count]', /^44 cities$/);
    times.search = await answerMs(s, `const i = document.querySelector('[data-testid=search]'); i.value = 'cork'; i.dispatchEvent(new Event('input', { bubbles: true }));`,
      '[data-testid=results]', /Cork/);
    times.settings = await answerMs(s, `location.hash = '#/settings';`, '[data-testid=feed-url]', new RegExp(`^${silent.url.replace(/[.]/g, '\\.')}$`), { prop: 'value' });
    times.syncNow = await answerMs(s, `document.querySelector('[data-testid=sync-now]').click();`,
      '[data-testid=sync-note]', /Already syncing with http:\/\/127\.0\.0\.1:\d+ — started \d+ s ago \(downloading the catalogue from /);
    await s.shot('desktop-silent-sync-now');
    times.outbox = await answerMs(s, `location.hash = '#/submissions';`, '[data-testid=outbox]', /Cork.*Waiting to send/s);
    console.log(`answers while the sync hangs (ms): ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])))}`);
    for (const [what, ms] of Object.entries(times)) {
      assert.ok(ms >= 0 && ms < 1000, `${what} answered in ${ms} ms while the sync hangs (at most 1000)`);
    }
    // Still hung: nothing was answered, nothing was sent.
    assert.ok(silent.accepted() >= 1);
    assert.match(await s.js(`return document.querySelector('[data-testid=sync-state]').textContent;`), /Syncing/);
  } finally {
    await s.stop();
    silent.close();
  }
});

test('restore: refused from another process while the window runs; in the window it waits for a hung sync, says so, and completes', { timeout: 180_000 }, async () => {
  const silent = await silentServer();
  const db = path.join(work, 'restore.sqlite3');
  const backupFile = path.join(work, 'portraits-backup.sqlite3'); // where the window's Restore looks
  // A backup, then a booklet made after it: the booklet tells which database the window sees.
  execFileSync(CLI, ['--db', db, 'backup', backupFile], { env, stdio: 'ignore' });
  const toml = fs.readFileSync(path.join(root, 'data', 'booklets', 'learning-city-award-2019.toml'), 'utf8')
    .replace(/^id = .*$/m, 'id = "made-after-the-backup"').replace(/^title = .*$/m, 'title = "Made after the backup"');
  fs.writeFileSync(path.join(work, 'after.toml'), toml);
  execFileSync(CLI, ['--db', db, 'booklet', 'create', path.join(work, 'after.toml')], { env, stdio: 'ignore' });
  const bookletNames = async () => {
    await s.go('#/cities');
    await s.go('#/booklets');
    await s.find('[data-testid=booklet-list] button');
    return s.js(`return document.querySelector('[data-testid=booklet-list]').textContent;`);
  };
  const cliRestore = () => spawnSync(CLI, ['--db', db, 'restore', backupFile], { env, encoding: 'utf8' });

  const s = await Session.start(DESKTOP, ['--db', db], SHOTS);
  try {
    await s.waitText('[data-testid=count]', /^44 cities$/);
    assert.match(await bookletNames(), /Made after the backup/);

    // Another process cannot swap the file under the window.
    const refused = cliRestore();
    assert.notEqual(refused.status, 0, 'portraits restore fails while the window runs');
    assert.match(refused.stderr, /in use by a running process/);
    assert.match(await bookletNames(), /Made after the backup/, 'the window still sees its data');
    assert.ok(!fs.existsSync(path.join(work, 'restore.before-restore')), 'nothing was replaced');

    // A sync hung on a silent server; the window's own restore waits for it, and says so.
    await s.go('#/settings');
    await s.type('[data-testid=feed-url]', silent.url);
    await s.click('[data-testid=connect]');
    await s.waitText('[data-testid=connect-message]', /^Connecting and syncing…$/);
    await until('the sync connects to the silent server', () => silent.accepted() > 0);
    await s.waitText('[data-testid=sync-phase]', /downloading the catalogue/);
    const t0 = Date.now();
    await s.click('[data-testid=restore]');
    await s.waitText('[data-testid=settings-message]', /Waiting for the running sync with http:\/\/127\.0\.0\.1:\d+ to stop…/, 5000);
    await s.shot('desktop-restore-waiting');
    await s.waitText('[data-testid=settings-message]', /Restored: .*portraits-backup\.sqlite3/, 30000);
    const restoreMs = Date.now() - t0;
    console.log(`restore while a sync hangs: done in ${restoreMs} ms`);
    assert.ok(restoreMs < 25000, `the restore completed in ${restoreMs} ms (at most 25 s)`);
    assert.doesNotMatch(await bookletNames(), /Made after the backup/, 'the window shows the restored database');
    assert.ok(fs.existsSync(path.join(work, 'restore.before-restore')), 'the replaced database is kept');

    // The window holds the database again: another process is still refused.
    const again = cliRestore();
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /in use by a running process/);
  } finally {
    await s.stop();
    silent.close();
  }
  // Once the window is gone, the CLI may restore.
  await until('the window process has ended', () => cliRestore().status === 0, 15000);
});

test('a contact email opens the mail client through the opener, and the opener opens nothing but mailto: links', { timeout: 120_000 }, async () => {
  fs.rmSync(OPENED, { force: true });
  const db = path.join(work, 'opener.sqlite3');
  const s = await Session.start(DESKTOP, ['--db', db], SHOTS);
  try {
    await s.waitText('[data-testid=count]', /^44 cities$/);
    await s.go('#/city/ie-cork');
    await s.click('[data-testid=portrait] a[href^="mailto:"]');
    await until('xdg-open was called', () => fs.existsSync(OPENED), 10000);
    assert.equal(fs.readFileSync(OPENED, 'utf8'), 'mailto:learningfestival@corkcity.ie\n');
    for (const url of ['https://example.org/', 'http://127.0.0.1:1/', 'file:///etc/passwd', 'tel:+353210000000']) {
      const r = await s.jsAsync(`
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('plugin:opener|open_url', { url: arguments[0] }).then(() => done('opened'), (e) => done(String(e)));`, [url]);
      assert.match(r, /not allowed/i, `${url} is refused by the opener's scope (${r})`);
    }
    await sleep(500);
    assert.equal(fs.readFileSync(OPENED, 'utf8'), 'mailto:learningfestival@corkcity.ie\n', 'nothing else was opened');
  } finally {
    await s.stop();
  }
});

test('a sync rebases the draft being edited: the Edit screen shows it, and nothing typed is lost', { timeout: 180_000 }, async () => {
  const db = path.join(work, 'rebase.sqlite3');
  const serverDb = path.join(work, 'uil.sqlite3');
  keepToken(serverUrl, null);
  const s = await Session.start(DESKTOP, ['--db', db], SHOTS);
  try {
    await s.waitText('[data-testid=count]', /^44 cities$/);
    await signInAsCork(s);
    await s.click('[data-testid=sync-now]');
    await s.waitText('[data-testid=sync-state]', /^Online$/);

    // The coordinator types a new lead; it is autosaved.
    await s.go('#/edit/ie-cork');
    await s.find('[data-testid=lead]');
    const typed = 'Typed in the window while a new version was being published.';
    await s.type('[data-testid=lead]', typed);
    await s.waitText('[data-testid=save-status]', /Draft saved/);

    // Meanwhile UIL publishes the next version of Cork, with a new tagline.
    const current = JSON.parse(execFileSync(CLI, ['--db', serverDb, 'show', 'ie-cork', '--json'], { encoding: 'utf8' })).portrait;
    const next = { ...current, version: current.version + 1, tagline: 'Published while the coordinator typed', source: { booklet: null, published: '2026-11-30' } };
    const file = path.join(work, `cork-v${next.version}.json`);
    fs.writeFileSync(file, JSON.stringify(next));
    execFileSync(CLI, ['--db', serverDb, 'import', file], { stdio: 'ignore' });
    await sleep(1100); // the server's feed cache

    // The next sync rebases the draft: the screen says so and shows both changes.
    await s.click('[data-testid=sync-now]');
    await s.waitText('[data-testid=rebase-notice]', new RegExp(`Version ${next.version} of this portrait was published while you were editing`));
    assert.equal(await s.js(`return document.querySelector('[data-testid=lead]').value;`), typed, 'what was typed is kept');
    assert.equal(await s.js(`return document.querySelector('#f-tagline').value;`), 'Published while the coordinator typed', 'their change is shown');
    await s.shot('desktop-rebase-notice');

    // Typing on after the rebase saves onto it: the stored draft has both.
    await s.type('[data-testid=lead]', `${typed} And more.`);
    await s.waitText('[data-testid=save-status]', /Draft saved/);
    const d = JSON.parse(execFileSync(CLI, ['--db', db, 'draft', 'show', 'ie-cork', '--json'], { encoding: 'utf8', env }));
    assert.equal(d.base_version, next.version);
    assert.equal(d.portrait.lead, `${typed} And more.`);
    assert.equal(d.portrait.tagline, 'Published while the coordinator typed');
  } finally {
    await s.stop();
  }
});

// Issue 14, in the real window: UIL staff save the template, bring in a member list of three
// cities (a CSV as a spreadsheet program writes it), see the preview, send it for review, accept
// the batch in Submissions, and the window's next sync lists the three new cities.
test('UIL brings in a member list in the window: preview, send for review, accept the batch, the new cities arrive', { timeout: 240_000 }, async () => {
  const db = path.join(work, 'members.sqlite3');
  const list = path.join(work, 'member-list.csv');
  fs.writeFileSync(list, [
    'City;Country;Country code;Region;Member since;Population;Population year;Focal point;Focal point email;Introduction;Budget',
    'Rosario;Argentina;AR;Latin America and the Caribbean;2021;"1.276.000";2019;Laura Gómez;lgomez@rosario.gob.ar;Rosario is a river port on the Paraná.;12',
    'Lyon;France;FR;Europe and North America;2023;522 250;2020;Claire Martin;cmartin@lyon.fr;Lyon, a city of knowledge on two rivers.;',
    'Tunis;Tunisia;TN;Arab States;2020;638 845 (2014);;Amel Ben Salah;;Tunis opens its libraries to all ages.;',
    '',
  ].join('\r\n'));
  const s = await Session.start(DESKTOP, ['--db', db], SHOTS);
  try {
    await s.waitText('[data-testid=count]', /^\d+ cities$/);
    await s.go('#/settings');
    await s.find('[data-testid=connect-form]');
    // The credentials file is this run's: an earlier test may have left a token for this feed.
    if (await s.js(`return !!document.querySelector('[data-testid=sign-out]');`)) await s.click('[data-testid=sign-out]');
    await s.find('[data-testid=token]');
    await s.type('[data-testid=token]', staffToken);
    await s.click('[data-testid=connect]');
    await s.waitText('[data-testid=identity]', /UIL staff/);
    await s.find('[data-testid=member-list]');
    await s.click('[data-testid=table-template]');
    await s.waitText('[data-testid=table-note]', /member-list-template\.xlsx/);
    assert.ok(fs.statSync(path.join(work, 'member-list-template.xlsx')).size > 1000, 'the template was written');
    await s.click('[data-testid=table-choose]');
    await s.find('[data-testid=table-rows]');
    await s.waitText('[data-testid=table-summary]', /3 rows: 3 new, 0 changed, 0 unchanged\./);
    await s.waitText('[data-testid=table-unknown]', /Budget/);
    await s.waitText('[data-testid=table-row-2]', /Rosario\s*New city/);
    await s.shot('desktop-member-list');
    await s.click('[data-testid=table-send]');
    await s.waitText('[data-testid=table-sent]', /3 rows sent for review\./);
    // The background sync sends them; the inbox names each proposed city.
    await s.go('#/submissions');
    for (let i = 0; i < 60; i++) {
      const n = await s.js(`return document.querySelectorAll('[data-testid^=pick-]:not([data-testid=pick-all])').length;`);
      if (n >= 3) break;
      await sleep(500);
      await s.go('#/cities');
      await s.go('#/submissions');
    }
    await s.waitText('[data-testid=inbox-ar-rosario]', /Rosario/);
    await s.click('[data-testid=pick-all]');
    await s.click('[data-testid=accept-picked]');
    await s.click('[data-testid=confirm-batch-0]');
    await s.waitText('[data-testid=batch-result]', /3 accepted and published\./);
    await s.js(`[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Sync now').click();`);
    await s.go('#/cities');
    for (let i = 0; i < 60; i++) {
      const t = await s.js(`return document.querySelector('[data-testid=count]')?.textContent ?? '';`);
      if (/^47 cities$/.test(t.trim())) break;
      await sleep(500);
      await s.go('#/map');
      await s.go('#/cities');
    }
    await s.waitText('[data-testid=count]', /^47 cities$/);
    await s.go('#/city/ar-rosario');
    await s.waitText('[data-testid=portrait]', /Rosario is a river port on the Paraná/);
    await s.waitText('[data-testid=portrait]', /Laura Gómez/);
    // Staff invite the three focal points from Settings: a token each, issued by the server.
    await s.go('#/settings');
    await s.find('[data-testid=invitations]');
    for (const id of ['ar-rosario', 'fr-lyon', 'tn-tunis']) await s.click(`[data-testid=invite-${id}]`);
    await s.waitText('[data-testid=invite-count]', /^3 cities ticked$/);
    await s.click('[data-testid=invite-issue]');
    await s.waitText('[data-testid=invite-report]', /3 invitations written\./);
    await s.waitText('[data-testid=invited-ar-rosario]', /Laura Gómez <lgomez@rosario\.gob\.ar>/);
    await s.click('[data-testid=show-tokens]');
    await s.find('[data-testid=tokens]');
    await s.shot('desktop-invitations');
    const merge = fs.readFileSync(path.join(work, 'invitations', 'invitations.csv'), 'utf8');
    const letter = fs.readFileSync(path.join(work, 'invitations', 'ar-rosario.txt'), 'utf8');
    const token = letter.match(/gnlc_[A-Za-z0-9_]+/)[0];
    assert.ok(merge.includes(token), 'the mail merge holds the same token');
    assert.equal(fs.statSync(path.join(work, 'invitations', 'ar-rosario.txt')).mode & 0o777, 0o600);
    // Rosario's coordinator signs in with the invitation on another laptop and sees the new cities.
    const tokenFile = path.join(work, 'rosario.token');
    fs.writeFileSync(tokenFile, token);
    const laptop = path.join(work, 'rosario-laptop.sqlite3');
    execFileSync(CLI, ['--db', laptop, 'sync', '--feed', serverUrl, '--token-file', tokenFile], { env: { ...env, PORTRAITS_CREDENTIALS: path.join(work, 'rosario-creds.json') }, stdio: 'ignore' });
    const ids = JSON.parse(execFileSync(CLI, ['--db', laptop, 'list', '--json'], { encoding: 'utf8' })).map((c) => c.id);
    for (const id of ['ar-rosario', 'fr-lyon', 'tn-tunis']) assert.ok(ids.includes(id), `${id} on Rosario's laptop`);
  } finally {
    await s.stop();
  }
});
