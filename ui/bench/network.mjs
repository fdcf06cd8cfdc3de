// The window at the network's size (issue 14, point 4), release build, through WebDriver under
// Xvfb: for each database given (label=path), cold start to the first painted list, the map's
// first paint (countries and every city dot, from the click), and search as you type (one
// query, keystroke to repaint); the median of RUNS starts. Run by scripts/bench-network-window.sh,
// which builds and prepares the databases.
import { Session, sleep, startDriver } from '../tests/webdriver.mjs';

const [, , desktop, ...dbs] = process.argv;
const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

async function measure(db) {
  const s = await Session.start(desktop, ['--db', db]);
  await s.waitText('[data-testid=count]', /cities$/, 120000);
  const cold = await s.jsAsync(`
    const done = arguments[arguments.length - 1];
    const t0 = performance.now();
    const check = () => {
      const mark = performance.getEntriesByName('first-list-paint')[0];
      if (mark) window.__TAURI_INTERNALS__.invoke('uptime_ms').then((up) => done(up - performance.now() + mark.startTime), (e) => done('uptime: ' + e));
      else if (performance.now() - t0 > 20000) done('no first-list-paint mark');
      else setTimeout(check, 5);
    };
    check();`);
  if (typeof cold !== 'number') throw new Error(`${db}: ${cold}`);
  const map = await s.jsAsync(`
    const done = arguments[arguments.length - 1];
    const t0 = performance.now();
    location.hash = '#/map';
    const check = () => {
      const m = performance.getEntriesByName('map-paint').find((e) => e.startTime >= t0);
      if (m) done(m.startTime - t0);
      else if (performance.now() - t0 > 60000) done(-1);
      else setTimeout(check, 5);
    };
    check();`);
  const dots = await s.js(`return document.querySelectorAll('[data-testid^=map-dot-]').length;`);
  await s.go('#/cities');
  await s.waitText('[data-testid=count]', /cities$/);
  await sleep(300);
  const search = await s.jsAsync(`
    const done = arguments[arguments.length - 1];
    const input = document.querySelector('[data-testid=search]');
    const t0 = performance.now();
    input.value = 'eski';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const check = () => {
      const answered = document.querySelector('[data-testid=count]')?.dataset.query;
      if (answered === 'eski') requestAnimationFrame(() => done(performance.now() - t0));
      else if (performance.now() - t0 > 10000) done(-1);
      else setTimeout(check, 2);
    };
    check();`);
  await s.stop();
  if (map < 0 || search < 0) throw new Error(`${db}: the map or the search did not answer`);
  return { cold, map, search, dots };
}

const driver = await startDriver(process.env);
const rows = [];
try {
  for (const arg of dbs) {
    const [label, db] = arg.split('=');
    await (await Session.start(desktop, ['--db', db])).stop(); // a first start (seeding, page cache) not counted
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await measure(db));
      await sleep(500);
    }
    rows.push({ label, runs });
  }
} finally {
  driver.kill();
}
const cell = (runs, k) => `${median(runs.map((r) => r[k])).toFixed(0)} ms (${Math.min(...runs.map((r) => r[k])).toFixed(0)}–${Math.max(...runs.map((r) => r[k])).toFixed(0)})`;
console.log(`| portraits | cold start to the first painted list | map: click to painted (countries and dots) | dots drawn | search \`eski\` as typed: keystroke to repaint (incl. the 120 ms pause) |`);
console.log(`|---:|---:|---:|---:|---:|`);
for (const { label, runs } of rows) {
  console.log(`| ${label} | ${cell(runs, 'cold')} | ${cell(runs, 'map')} | ${runs[0].dots} | ${cell(runs, 'search')} |`);
}
console.log(`\nmedian (min–max) of ${RUNS} starts each`);
