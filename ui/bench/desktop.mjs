// Desktop benchmarks through WebDriver under Xvfb (release build): cold start to the first
// painted list (bundled catalogue, and 5,000 synthetic portraits), search-as-you-type latency
// from keystroke to repaint, and memory of the app and its web process after browsing every
// city. Run by scripts/bench-desktop.sh, which builds and prepares the databases.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Session, sleep, startDriver } from '../tests/webdriver.mjs';

const [, , desktop, bundledDb, bigDb] = process.argv;
const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

function rssMb(pattern) {
  const out = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  let kb = 0;
  for (const pid of out) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      kb += Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

async function coldStart(db) {
  const s = await Session.start(desktop, ['--db', db]);
  await s.waitText('[data-testid=count]', /cities$/, 60000);
  const r = await s.jsAsync(`
    const done = arguments[arguments.length - 1];
    window.__TAURI_INTERNALS__.invoke('uptime_ms').then((up) => {
      const mark = performance.getEntriesByName('first-list-paint')[0];
      done({ up, now: performance.now(), mark: mark.startTime });
    });`);
  return { s, ms: r.up - r.now + r.mark };
}

const driver = await startDriver(process.env);
const results = {};
try {
  for (const [name, db] of [['bundled catalogue (44 cities)', bundledDb], ['5,000 synthetic portraits', bigDb]]) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const { s, ms } = await coldStart(db);
      times.push(ms);
      await s.stop();
      await sleep(500);
    }
    results[name] = times;
  }
  // Search as you type, and memory after browsing every city, on the bundled catalogue.
  const { s } = await coldStart(bundledDb);
  const lat = [];
  for (const q of ['l', 'le', 'lea', 'lear', 'learn', 'learni', 'learnin', 'learning', 'sonder', 'eskis', 'medel', 'festival']) {
    const t = await s.jsAsync(`
      const [q, done] = [arguments[0], arguments[arguments.length - 1]];
      const input = document.querySelector('[data-testid=search]');
      const t0 = performance.now();
      input.value = q;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const check = () => {
        const answered = document.querySelector('[data-testid=count]')?.dataset.query;
        if (answered === q) requestAnimationFrame(() => done(performance.now() - t0));
        else if (performance.now() - t0 > 5000) done(-1);
        else setTimeout(check, 2);
      };
      check();`, [q]);
    if (t < 0) throw new Error(`no answer for ${q}`);
    lat.push(t);
  }
  results.search = lat;
  const ids = await s.js(`return [...document.querySelectorAll('a.name')].map((a) => a.getAttribute('href'));`);
  await s.js(`document.querySelector('[data-testid=search]').value=''; document.querySelector('[data-testid=search]').dispatchEvent(new Event('input', {bubbles:true}));`);
  await sleep(300);
  const all = await s.js(`return [...document.querySelectorAll('[data-testid=city-list] a.name')].map((a) => a.getAttribute('href'));`);
  for (const href of all) {
    await s.go(href);
    await s.waitText('[data-testid=portrait]', /Facts/);
  }
  results.browsed = all.length;
  results.memory = { app: rssMb(`portraits-desktop --db ${bundledDb}`), web: rssMb('WebKitWebProcess') };
  await s.stop();
} finally {
  driver.kill();
}

console.log(`| measure | median | min | max | runs |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const k of ['bundled catalogue (44 cities)', '5,000 synthetic portraits']) {
  const t = results[k];
  console.log(`| cold start to the first painted list, ${k} | ${median(t).toFixed(0)} ms | ${Math.min(...t).toFixed(0)} ms | ${Math.max(...t).toFixed(0)} ms | ${t.length} |`);
}
const sl = results.search;
console.log(`| search as you type: keystroke to repaint (includes the 120 ms pause before searching) | ${median(sl).toFixed(0)} ms | ${Math.min(...sl).toFixed(0)} ms | ${Math.max(...sl).toFixed(0)} ms | ${sl.length} |`);
console.log(`\nmemory after browsing all ${results.browsed} cities: app process ${results.memory.app.toFixed(0)} MB RSS, web process ${results.memory.web.toFixed(0)} MB RSS`);
