// The window in French and Spanish (issue 13), in a real browser (Debian's Chromium, fake host):
// a browser whose language is French opens the window in French, and a French-speaking
// coordinator goes through every screen — the city list and search, a city with its partners
// and warnings, the comparison, the map, help, settings, the editor with a mistake, submitting,
// the reviewer's inbox and decision (as UIL staff), the comments back in the editor, and a
// booklet export — and no English is left on any of them.
//
// "No English" is checked on every text the window shows and every label it gives (button
// names, placeholders, titles, alternative texts, options), outside the elements marked as
// holding a portrait's own words (`lang="en"`, the portraits being English) or words of unknown
// language (`lang=""`, people's comments). A text is English when it holds a common English
// word that is not also French (the list below).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, shot, until } from './harness.mjs';

let ui, base, browser;

before(async () => {
  ui = await startUi();
  ({ base, browser } = ui);
});
after(async () => {
  await ui?.close();
});

const CORK = `gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`;
const STAFF = `gnlc_${'f'.repeat(16)}_${'b'.repeat(64)}`;

/** English words that are not French words (so "page", "minutes", "point", "photos" are not here). */
const ENGLISH_WORDS = [
      'the', 'and', 'of', 'to', 'with', 'your', 'you', 'this', 'that', 'these', 'is', 'are', 'was', 'were', 'for', 'from', 'by',
      'will', 'can', 'cannot', 'not', 'have', 'has', 'been', 'which', 'what', 'when', 'where', 'how', 'who', 'all', 'any',
      'each', 'every', 'more', 'than', 'it', 'its', 'be', 'here', 'there', 'edit', 'save', 'saved', 'submit', 'cancel',
      'search', 'cities', 'city', 'settings', 'help', 'back', 'sign', 'show', 'hide', 'open', 'close', 'delete', 'remove',
      'add', 'yes', 'none', 'never', 'now', 'ago', 'hours', 'days', 'new', 'name', 'find', 'language', 'draft', 'booklet',
      'booklets', 'submissions', 'submission', 'review', 'reviewer', 'comments', 'changes', 'syncing', 'online', 'offline',
      'waiting', 'sent', 'failed', 'facts', 'area', 'mayor', 'country', 'member', 'since', 'award', 'partners',
      'partner', 'map', 'list', 'filter', 'filters', 'results', 'result', 'nothing', 'loading', 'error', 'problem',
      'problems', 'year', 'years', 'should', 'must', 'empty', 'missing', 'about', 'between', 'other',
      'only', 'first', 'last', 'next', 'previous', 'before', 'after', 'shown', 'clear', 'reset', 'world', 'key',
      'features', 'themes', 'both', 'work', 'learning', 'lead', 'paragraph', 'tagline', 'quote', 'highlights',
      'caption', 'credit', 'role', 'accept', 'reject', 'request', 'publish', 'published', 'accepted', 'rejected',
];
/** Those that are Spanish words too ("mayor": greater). */
const SPANISH_TOO = ['mayor'];
// Word boundaries that know letters beyond ASCII: "list" is not in "listées".
const english = (words) => new RegExp(`(?<![\\p{L}\\p{N}])(${words.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
const ENGLISH = english(ENGLISH_WORDS);
const NOT_SPANISH = english(ENGLISH_WORDS.filter((w) => !SPANISH_TOO.includes(w)));

/**
 * Every text the page shows or gives as a label, outside content marked with another language.
 * A label that quotes a portrait's words is checked without them: the words shown marked
 * elsewhere on the page, and the cities' names (proper names, as the data writes them: "Mexico
 * City" in "Comparer Mexico City"), are taken out of it.
 */
async function windowTexts(page) {
  return page.evaluate(async () => {
    const own = (el) => {
      const marked = el.closest('[lang]');
      return !marked || marked.getAttribute('lang').toLowerCase().startsWith(document.documentElement.lang);
    };
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) || el.closest('.sr-only') !== null;
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent.trim();
      if (!text || !el || ['SCRIPT', 'STYLE', 'TEXTAREA'].includes(el.tagName)) continue;
      if (el.tagName !== 'OPTION' && !visible(el)) continue;
      if (own(el)) out.push(text);
    }
    for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [title], [alt], [data-sr]')) {
      if (!own(el)) continue;
      for (const a of ['placeholder', 'aria-label', 'title', 'alt', 'data-sr']) {
        const v = el.getAttribute(a);
        if (v && v.trim()) out.push(v.trim());
      }
    }
    out.push(document.title);
    const content = new Set();
    const cities = await window.__fakeHost.listCities({ region: null, country: null, award: null, key_feature: null }, 'name');
    for (const c of cities) content.add(c.name);
    for (const el of document.body.querySelectorAll('[lang]')) {
      if (own(el)) continue;
      const text = el.textContent.trim();
      if (text.length >= 3) content.add(text);
    }
    const quoted = [...content].sort((a, b) => b.length - a.length);
    return out.map((t) => quoted.reduce((s, q) => s.split(q).join(' '), t)).filter((t) => t.trim());
  });
}

/** Fails naming the screen and every English text on it. */
async function noEnglish(page, screen, words = ENGLISH) {
  const texts = await windowTexts(page);
  assert.ok(texts.length > 5, `${screen}: the screen shows text`);
  const english = [...new Set(texts.filter((t) => words.test(t)))];
  assert.deepEqual(english, [], `${screen}: English left in the window`);
}

async function open(locale = 'fr-FR') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${base}/#/cities`);
  await page.getByTestId('count').waitFor();
  return page;
}

async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

async function connect(page, token, who) {
  await go(page, '#/settings');
  if (await page.getByTestId('sign-out').count()) await page.getByTestId('sign-out').click();
  await page.getByTestId('token').fill(token);
  await page.getByTestId('connect').click();
  await page.getByTestId('identity').filter({ hasText: who }).waitFor();
}

test('the English words of the check are English: it finds them in the English window', async () => {
  const page = await open('en-GB');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  const texts = await windowTexts(page);
  assert.ok(texts.filter((t) => ENGLISH.test(t)).length > 10, 'the English window has English words');
  await page.close();
});

test('a French browser gets the window in French, and nothing in English is left on any screen', async () => {
  const page = await open('fr-FR');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await page.getByText('44 villes').first().waitFor();
  await noEnglish(page, 'Villes');
  await shot(page, 'fr-cities');

  // Search in French: the results and their counts.
  await page.getByTestId('search').fill('literacy');
  await page.locator('[data-testid=results] li').first().waitFor();
  await noEnglish(page, 'Villes, recherche');

  // A city: the portrait (English, marked), its facts, warnings and partners.
  await go(page, '#/city/dk-sonderborg');
  await page.getByTestId('find-partners').click();
  await page.locator('.reasons li').first().waitFor();
  // The reasons are worded by the window from Rust's codes, not Rust's English marked as such.
  assert.match(await page.locator('.reasons').first().textContent(), /Les deux agissent sur|Population comparable/);
  await noEnglish(page, 'Ville (Sønderborg) avec ses partenaires');
  assert.match(await page.locator('main').textContent(), /74\u202f737/, 'the population is written the French way');
  await shot(page, 'fr-city');

  // The comparison of two cities.
  await go(page, '#/compare/dk-sonderborg,ie-cork');
  await page.getByTestId('compare').waitFor();
  await noEnglish(page, 'Comparer');

  // The map.
  await go(page, '#/map');
  await page.getByTestId('map-count').waitFor();
  await noEnglish(page, 'Carte');

  // Help.
  await go(page, '#/help');
  await page.getByTestId('guide-coordinators').waitFor();
  await noEnglish(page, 'Aide');

  // Settings, before signing in: the language menu says French.
  await go(page, '#/settings');
  await page.locator('#window-language').waitFor();
  await noEnglish(page, 'Paramètres');
  await shot(page, 'fr-settings');

  // The coordinator of Cork edits: a figure that is not one is said in French, with the French
  // way of writing numbers understood.
  await connect(page, CORK, 'Cork');
  await go(page, '#/edit/ie-cork');
  await page.getByTestId('fact-population-value').waitFor();
  await page.getByTestId('fact-population-value').fill('beaucoup');
  await page.getByTestId('lead').fill('');
  await page.getByTestId('error-count').waitFor();
  await noEnglish(page, 'Modifier, avec des erreurs');
  await shot(page, 'fr-edit-errors');
  await page.getByTestId('fact-population-value').fill('224 004');
  await page.getByTestId('lead').fill('Cork, une ville apprenante au bord de la Lee.');
  await page.getByTestId('error-count').waitFor({ state: 'detached' });
  // "224 004" is read as the French write it (the draft is saved a moment after typing).
  await until(page, async () => (await window.__fakeHost.getDraft('ie-cork'))?.portrait.facts.population.value === 224004);

  // Submit, with the summary of changes.
  await page.getByTestId('submit').click();
  await page.getByTestId('submit-summary').waitFor();
  await noEnglish(page, 'Soumettre, résumé');
  await page.getByTestId('confirm-submit').click();
  await page.getByTestId('submit-status').waitFor();
  await noEnglish(page, 'Soumis');
  await page.getByTestId('sync-now').click();

  // UIL staff review it and send it back with comments.
  await connect(page, STAFF, 'UIL');
  await go(page, '#/submissions');
  await page.getByTestId('inbox-ie-cork').waitFor();
  await noEnglish(page, 'Soumissions (UIL)');
  await page.getByTestId('inbox-ie-cork').click();
  await page.getByTestId('review').waitFor();
  await noEnglish(page, 'Examen de la soumission');
  await page.locator('#general-comment').fill('Merci : une petite modification.');
  await page.locator('textarea[id="c-lead"]').fill('Dites ce qu’est la Lee.');
  await page.getByTestId('request-changes').click();
  await page.getByTestId('decision').waitFor();
  await noEnglish(page, 'Décision');
  await shot(page, 'fr-review');

  // Cork reads the comments: in the list of submissions, then next to the fields.
  await connect(page, CORK, 'Cork');
  await go(page, '#/submissions');
  await page.getByTestId('my-submissions').waitFor();
  await noEnglish(page, 'Mes soumissions');
  await page.getByTestId('open-in-editor').click();
  await page.getByTestId('review-banner').waitFor();
  await page.getByTestId('comment-lead').waitFor();
  await noEnglish(page, 'Modifier, avec les commentaires');
  await shot(page, 'fr-edit-comments');

  // A booklet: the editor and its export in French.
  await go(page, '#/booklets');
  await page.getByTestId('booklet-list').waitFor();
  await page.locator('[data-testid=booklet-list] li button, [data-testid=booklet-list] li a').first().click();
  await page.getByTestId('export').waitFor();
  await noEnglish(page, 'Livrets');
  await page.getByTestId('export').click();
  await page.getByTestId('exported').waitFor();
  await noEnglish(page, 'Livret exporté');
  await shot(page, 'fr-booklets');

  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the language is chosen in Settings, kept, and changes the window at once; Spanish too', async () => {
  const page = await open('en-GB');
  await go(page, '#/settings');
  await page.locator('#window-language').selectOption('es');
  await page.getByTestId('nav-submissions').filter({ hasText: 'Envíos' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
  await go(page, '#/cities');
  await page.getByText('44 ciudades').first().waitFor();
  await noEnglish(page, 'Ciudades (español)', NOT_SPANISH);
  // Kept for the next start.
  await page.reload();
  await page.getByText('44 ciudades').first().waitFor();
  // Back to the system's language (English here).
  await go(page, '#/settings');
  await page.locator('#window-language').selectOption('system');
  await page.getByText('Language of the window').waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a portrait in French: translated beside the original, reviewed, read in French with the rest marked as the original, found by its French words', async () => {
  const page = await open('fr-FR');
  // Cork's coordinator adds a French translation of the tagline and the lead, side by side
  // with the English original.
  await connect(page, CORK, 'Cork');
  await go(page, '#/edit/ie-cork');
  await page.getByTestId('translations').waitFor();
  await page.getByTestId('tr-new').selectOption('fr');
  await page.getByTestId('tr-add').click();
  await page.getByTestId('tr-grid').waitFor();
  // The grid shows the original beside each field, marked as English.
  const original = await page.locator('[data-testid=tr-grid] .orig').first().getAttribute('lang');
  assert.equal(original, 'en');
  assert.equal(await page.getByTestId('error-count').count(), 0, 'a translation just added, still empty, is not an error');
  await page.getByTestId('tr-tagline').fill('Une ville apprenante au bord de la Lee');
  await page.getByTestId('tr-lead').fill('Cork, deuxième ville d’Irlande, fait de l’apprentissage tout au long de la vie une affaire de quartier.');
  assert.equal(await page.getByTestId('tr-lead').getAttribute('lang'), 'fr', 'what is typed is marked French');
  await until(page, async () => (await window.__fakeHost.getDraft('ie-cork'))?.portrait.translations?.fr?.lead?.startsWith('Cork, deuxième'));
  await noEnglish(page, 'Modifier, traduction en français');
  await shot(page, 'fr-edit-translation');
  await page.getByTestId('submit').click();
  await page.getByTestId('submit-summary').waitFor();
  assert.match(await page.getByTestId('submit-summary').textContent(), /Traductions/);
  await page.getByTestId('confirm-submit').click();
  await page.getByTestId('submit-status').waitFor();
  await page.getByTestId('sync-now').click();

  // UIL staff see the translation in the review, and accept it.
  await connect(page, STAFF, 'UIL');
  await go(page, '#/submissions');
  await page.getByTestId('inbox-ie-cork').click();
  await page.getByTestId('review-diff').getByText('Traductions').first().waitFor();
  assert.match(await page.getByTestId('review-diff').textContent(), /Traductions[\s\S]*français[\s\S]*deuxième ville/);
  await noEnglish(page, 'Examen, traduction');
  await page.getByTestId('accept').click();
  await page.getByTestId('decision').waitFor();

  // The portrait reads in French: the translated parts in French, the rest in English,
  // marked as the original, and the page says so.
  await go(page, '#/city/ie-cork');
  await page.locator('[data-testid=portrait][data-lang=fr]').waitFor();
  const portrait = page.getByTestId('portrait');
  assert.equal(await portrait.locator('.tagline').getAttribute('lang'), 'fr');
  assert.match(await portrait.locator('.tagline').textContent(), /Une ville apprenante/);
  assert.equal(await portrait.locator('.lead').getAttribute('lang'), 'fr');
  assert.match(await page.getByTestId('translation-fallback').textContent(), /pas encore traduites en français/);
  assert.ok(await page.getByTestId('original-mark').count() >= 3, 'each untranslated part is marked');
  assert.equal(await portrait.locator('[data-part=vision] + *').getAttribute('lang'), 'en');
  await noEnglish(page, 'Ville (Cork) en français');
  await shot(page, 'fr-city-translated');
  // Read in the original instead.
  await page.getByTestId('read-in').selectOption('en');
  await page.locator('[data-testid=portrait][data-lang=en]').waitFor();
  assert.equal(await page.getByTestId('translation-fallback').count(), 0);
  assert.doesNotMatch(await portrait.locator('.tagline').textContent(), /Une ville/);

  // Search finds Cork by its French words (diacritics folded).
  await go(page, '#/cities');
  await page.getByTestId('search').fill('deuxieme quartier');
  await page.locator('[data-testid=results] li').filter({ hasText: 'Cork' }).waitFor();
  assert.equal(await page.locator('[data-testid=results] li').count(), 1);

  // A Spanish reader: there is no Spanish translation, the page says the portrait is shown in
  // English.
  await go(page, '#/settings');
  await page.locator('#window-language').selectOption('es');
  await go(page, '#/city/ie-cork');
  await page.locator('[data-testid=portrait][data-lang=en]').waitFor();
  assert.match(await page.getByTestId('translation-fallback').textContent(), /no está traducido al español/);
  assert.equal(await page.getByTestId('original-mark').count(), 0, 'nothing is translated: the note says it once');
  await page.locator('#window-language').count();
  assert.deepEqual(page.errors, []);
  await page.evaluate(() => localStorage.removeItem('portraits.locale'));
  await page.close();
});
