// Issue 14's "done when" in the real window, with a member list filled in LibreOffice Calc: run
// by scripts/try-member-list-calc.sh (a manual check, not part of the tests).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Session, sleep, startDriver } from '../tests/webdriver.mjs';
const root = '/work/main';
const CLI = `${root}/target/release/portraits`;
const DESKTOP = `${root}/target/release/portraits-desktop`;
const work = process.env.TRY_DIR ?? '/tmp/try';
const serverDb = path.join(work, 'uil.sqlite3');
const staff = execFileSync(CLI, ['--db', serverDb, 'token', 'issue', '--staff'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const server = spawn(CLI, ['--db', serverDb, 'serve', '--addr', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
const url = await new Promise((res) => { let b = ''; server.stderr.on('data', (d) => { b += d; const m = b.match(/listening on (http:\/\/\S+)/); if (m) res(m[1]); }); });
const env = { ...process.env, PORTRAITS_CREDENTIALS: path.join(work, 'creds.json'), PORTRAITS_DIALOG_DIR: work, PORTRAITS_DEFAULT_FEED: url };
const driver = await startDriver(env);
const s = await Session.start(DESKTOP, ['--db', path.join(work, 'uil-laptop.sqlite3')], process.env.SHOTS ?? '/tmp/shots');
try {
  await s.waitText('[data-testid=count]', /cities$/);
  await s.go('#/settings');
  await s.type('[data-testid=token]', staff);
  await s.click('[data-testid=connect]');
  await s.waitText('[data-testid=identity]', /UIL staff/);
  await s.click('[data-testid=table-choose]');
  await s.find('[data-testid=table-summary]');
  console.log(await s.js(`return document.querySelector('[data-testid=table-preview]').innerText`));
  await s.shot('try-calc-preview');
  await s.click('[data-testid=table-send]');
  await s.waitText('[data-testid=table-sent]', /10 rows sent/);
  await s.go('#/submissions');
  for (let i = 0; i < 40; i++) {
    const n = await s.js(`return document.querySelectorAll('[data-testid^=inbox-]').length;`);
    if (n >= 10) break;
    await sleep(500); await s.go('#/cities'); await s.go('#/submissions');
  }
  await s.shot('try-calc-inbox');
  // One proposal opened: the reviewer sees what the row fills against nothing.
  await s.click('[data-testid=inbox-ar-rosario]');
  await s.waitText('[data-testid=review]', /Rosario/);
  console.log(await s.js(`return document.querySelector('[data-testid=review]').innerText.slice(0, 1500)`));
  await s.shot('try-calc-review-proposal');
  await s.go('#/cities');
  await s.go('#/submissions');
  await s.find('[data-testid=pick-all]');
  await s.click('[data-testid=pick-all]');
  await s.click('[data-testid=accept-picked]');
  await s.click('[data-testid=confirm-batch-0]');
  await s.waitText('[data-testid=batch-result]', /10 accepted and published\./);
  await s.shot('try-calc-accepted');
  await s.js(`[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Sync now').click();`);
  await sleep(2000);
  await s.go('#/settings');
  await s.find('[data-testid=invitations]');
  const ids = JSON.parse(execFileSync(CLI, ['--db', serverDb, 'list', '--json'], { encoding: 'utf8' })).map((c) => c.id).filter((id) => /rosario|wuhan|lyon|tunis|puebla|kampala|aqaba|busan|tampere|bogota/.test(id));
  console.log('new ids', ids);
  for (const id of ids) await s.click(`[data-testid=invite-${id}]`);
  await s.click('[data-testid=invite-issue]');
  await s.find('[data-testid=invite-report]');
  console.log(await s.js(`return document.querySelector('[data-testid=invite-report]').innerText`));
  await s.shot('try-calc-invited');
  const letter = fs.readFileSync(path.join(work, 'invitations', `${ids[0]}.txt`), 'utf8');
  const token = letter.match(/gnlc_[A-Za-z0-9_]+/)[0];
  fs.writeFileSync(path.join(work, 'coord.token'), token);
  execFileSync(CLI, ['--db', path.join(work, 'coord.sqlite3'), 'sync', '--feed', url, '--token-file', path.join(work, 'coord.token')], { env, stdio: 'inherit' });
  const list = JSON.parse(execFileSync(CLI, ['--db', path.join(work, 'coord.sqlite3'), 'list', '--json'], { encoding: 'utf8' }));
  console.log('coordinator laptop:', list.length, 'cities; new ones:', list.filter((c) => ids.includes(c.id)).map((c) => c.name).join(', '));
  console.log(execFileSync(CLI, ['--db', path.join(work, 'coord.sqlite3'), 'show', ids[0]], { encoding: 'utf8' }).slice(0, 800));
} finally {
  await s.stop(); driver.kill(); server.kill();
}
