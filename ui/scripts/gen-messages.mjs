// Checks the window's messages and compiles them with Paraglide JS 2 into src/paraglide (not
// committed; run before every build, check and test by npm's pre-scripts).
//
// The messages are inlang message-format files, one folder per part of the window:
// messages/<part>/<locale>.json. English (`en`) is the reference. The build fails, naming the
// file and the message, when
//   - a message of English is missing from another language, or one is there that English lacks;
//   - a translation's {placeholders} differ from English's (a missing {name} loses a value, an
//     extra one prints nothing);
//   - a plural message has no `other` form, or is written as text in one language and as
//     plural forms in another;
//   - an id is defined in two parts, or is empty text.
// Paraglide itself falls back to English for a missing translation: without this check a French
// window would show English silently.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { compile } from '@inlang/paraglide-js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const LOCALES = ['en', 'fr', 'es'];
const BASE = 'en';
const messagesDir = path.join(root, 'messages');

const parts = fs
  .readdirSync(messagesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Every {placeholder} of a message (text or plural variants), local declarations excluded. */
function placeholders(value) {
  const names = new Set();
  const texts = typeof value === 'string' ? [value] : value.flatMap((v) => Object.values(v.match ?? {}));
  const locals = new Set();
  if (typeof value !== 'string') {
    for (const v of value) for (const d of v.declarations ?? []) {
      const m = /^local\s+(\w+)\s*=/.exec(d);
      if (m) locals.add(m[1]);
      const input = /^input\s+(\w+)/.exec(d);
      if (input) names.add(input[1]);
    }
  }
  for (const t of texts) for (const m of t.matchAll(/\{(\w+)\}/g)) if (!locals.has(m[1])) names.add(m[1]);
  return [...names].sort().join(', ');
}

const problems = [];
const owner = new Map(); // id -> part
for (const part of parts) {
  const tables = {};
  for (const locale of LOCALES) {
    const file = path.join(messagesDir, part, `${locale}.json`);
    const rel = path.relative(root, file);
    if (!fs.existsSync(file)) {
      problems.push(`${rel}: missing (every part has a file for each of ${LOCALES.join(', ')})`);
      continue;
    }
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      delete json.$schema;
      tables[locale] = json;
    } catch (e) {
      problems.push(`${rel}: not valid JSON: ${e.message}`);
    }
  }
  const base = tables[BASE];
  if (!base) continue;
  for (const id of Object.keys(base)) {
    if (owner.has(id)) problems.push(`messages/${part}/${BASE}.json: "${id}" is also defined in messages/${owner.get(id)}`);
    owner.set(id, part);
  }
  for (const locale of LOCALES) {
    const table = tables[locale];
    if (!table) continue;
    const rel = `messages/${part}/${locale}.json`;
    for (const [id, value] of Object.entries(table)) {
      if (!(id in base)) {
        problems.push(`${rel}: "${id}" is not an English message (messages/${part}/${BASE}.json)`);
        continue;
      }
      if (typeof value === 'string') {
        if (value.trim() === '') problems.push(`${rel}: "${id}" is empty`);
      } else if (!Array.isArray(value) || value.some((v) => !v.match || !Object.keys(v.match).some((k) => k.endsWith('=other') || k.endsWith('=*')))) {
        problems.push(`${rel}: "${id}" has plural forms without "other"`);
      }
      const baseValue = base[id];
      if ((typeof value === 'string') !== (typeof baseValue === 'string')) {
        problems.push(`${rel}: "${id}" is ${typeof value === 'string' ? 'a text' : 'plural forms'} here but not in English`);
      } else if (placeholders(value) !== placeholders(baseValue)) {
        problems.push(`${rel}: "${id}" has the placeholders {${placeholders(value)}}, English has {${placeholders(baseValue)}}`);
      }
    }
    for (const id of Object.keys(base)) {
      if (!(id in table)) problems.push(`${rel}: "${id}" is missing (English: ${JSON.stringify(base[id]).slice(0, 80)})`);
    }
  }
}

if (problems.length) {
  console.error(`The window's messages are not complete (${problems.length} problems):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}

// The inlang project lists every part's files; written here so a new part needs no second edit.
const settings = {
  $schema: 'https://inlang.com/schema/project-settings',
  baseLocale: BASE,
  locales: LOCALES,
  // The plugin from node_modules (a local module), never fetched from a CDN: builds run offline.
  modules: ['./node_modules/@inlang/plugin-message-format/dist/index.js'],
  'plugin.inlang.messageFormat': { pathPattern: parts.map((p) => `./messages/${p}/{locale}.json`) },
};
const settingsFile = path.join(root, 'project.inlang', 'settings.json');
fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
const text = JSON.stringify(settings, null, 2) + '\n';
if (!fs.existsSync(settingsFile) || fs.readFileSync(settingsFile, 'utf8') !== text) fs.writeFileSync(settingsFile, text);

// Compiling takes seconds (the inlang SDK, then TypeScript declarations): skipped when the
// messages, the settings, Paraglide and this script are what the last compile saw.
const outdir = path.join(root, 'src', 'paraglide');
const stamp = path.join(outdir, '.inputs.sha256');
const hash = crypto.createHash('sha256');
hash.update(fs.readFileSync(fileURLToPath(import.meta.url)));
hash.update(text);
hash.update(fs.readFileSync(path.join(root, 'node_modules/@inlang/paraglide-js/package.json')));
for (const part of parts) for (const locale of LOCALES) hash.update(`${part}/${locale}\0`).update(fs.readFileSync(path.join(messagesDir, part, `${locale}.json`)));
const digest = hash.digest('hex');
if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && fs.existsSync(path.join(outdir, 'messages.js'))) {
  console.log(`${owner.size} messages in ${LOCALES.length} languages: complete, src/paraglide is up to date`);
  process.exit(0);
}

// One compile at a time (several checks may start together): a lock directory, taken over
// when its holder has been gone for two minutes.
const lock = path.join(root, 'src', '.paraglide.lock');
for (let waited = 0; ; waited += 200) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch {
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
}
process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && fs.existsSync(path.join(outdir, 'messages.js'))) {
  console.log(`${owner.size} messages in ${LOCALES.length} languages: complete, src/paraglide is up to date`);
  process.exit(0);
}

process.chdir(root);
await compile({
  project: './project.inlang',
  outdir: './src/paraglide',
  // The window sets the language itself (../src/i18n.svelte.ts): no cookies, no URLs.
  strategy: ['globalVariable', 'baseLocale'],
  emitTsDeclarations: true,
  emitGitIgnore: false,
  emitPrettierIgnore: false,
  emitReadme: false,
});
fs.writeFileSync(stamp, digest);
console.log(`compiled ${owner.size} messages in ${LOCALES.length} languages (${parts.length} parts) into src/paraglide`);
// The inlang SDK leaves a timer running after the project is closed: do not wait for it.
process.exit(0);
