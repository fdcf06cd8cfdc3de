// Search as people type, its empty state, the search kept across a city and Back, the keys
// (Enter, arrows, Escape, "/", Ctrl+F, Alt+←) and the Help screen, in a real browser (Debian's
// Chromium through playwright-core) against the built UI with the fake host.
// Run after `npm run build`: `node --test tests/browser-search.test.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startUi, shot } from './harness.mjs';

let ui, base, browser;


before(async () => {
  ui = await startUi();
  ({ base, browser } = ui);
});

after(async () => {
  await ui?.close();
});

async function open(hash) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/${hash}`);
  await page.getByTestId('count').first().waitFor({ timeout: 10_000 }).catch(() => {});
  page.errors = errors;
  return page;
}

/** Types into the search box one key at a time, as a person does, and waits for its answer. */
async function search(page, text) {
  const box = page.getByTestId('search');
  await box.fill('');
  await box.pressSequentially(text, { delay: 40 });
  await answered(page, text);
}

function answered(page, text) {
  return page.locator(`[data-testid=count][data-query="${text}"]`).waitFor({ timeout: 5000 });
}

const names = (page) => page.locator('[data-testid=results] li .name').allTextContents();
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? { testid: a.getAttribute('data-testid'), text: a.textContent, href: a.getAttribute('href'), tag: a.tagName } : null;
});
const hash = (page) => page.evaluate(() => decodeURIComponent(location.hash));

test('typing the first letters finds a city: "eski", "cor", "Sønder"', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  for (const [text, city] of [['eski', 'Eskişehir'], ['cor', 'Cork'], ['Sønder', 'Sønderborg'], ['sonder', 'Sønderborg']]) {
    await search(page, text);
    const found = await names(page);
    assert.equal(found[0], city, `"${text}" finds ${city} first (got ${found.join(', ')})`);
    // Every prefix typed on the way answered too: the box never showed an error.
    assert.equal(await page.locator('.error').count(), 0);
  }
  // The matched word is marked in the snippet.
  await search(page, 'cor');
  const marks = await page.locator('[data-testid=results] li').first().locator('mark').allTextContents();
  assert.ok(marks.length > 0 && marks.every((m) => /^cor/i.test(m.trim())), marks.join('|'));
  await shot(page, 'search-cor');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('cities whose name matches come before those that only mention the word', async () => {
  const page = await open('#/cities');
  await search(page, 'cor');
  const found = await names(page);
  assert.ok(found.length > 2, `"cor" matches words in other portraits too (${found.join(', ')})`);
  // Cantarranas sorts before Cork by name: Cork is first because its name matches.
  assert.ok(found.includes('Cantarranas'), found.join(', '));
  assert.equal(found[0], 'Cork');
  assert.ok(found.slice(1).every((n) => !/^cor/i.test(n)), found.join(', '));
  assert.match(await page.getByTestId('count').textContent(), /^\s*\d+ results for “cor”\s*$/);
  // "con": Cork's portrait has more words that start so ("conference", "continue" …) and Amman
  // sorts first by name, yet Contagem comes first, by its name.
  await search(page, 'con');
  const con = await names(page);
  assert.equal(con[0], 'Contagem', con.join(', '));
  assert.ok(con.includes('Cork') && con.includes('Amman'), con.join(', '));
  // Only the last word is a prefix: "cork fest" finds Cork's festival, "cor fest" nothing.
  await search(page, 'cork fest');
  assert.deepEqual(await names(page), ['Cork']);
  await search(page, 'cor fest');
  await page.getByTestId('no-results').waitFor();
  await page.close();
});

test('a search without results says so, with the filters, suggests what to try, and clears both', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  await search(page, 'xyzzy');
  const empty = page.getByTestId('no-results');
  assert.equal((await empty.getByTestId('count').textContent()).trim(), 'Nothing matched “xyzzy”.');
  const tips = await empty.locator('li').allTextContents();
  assert.ok(tips.some((t) => /fewer letters/.test(t)) && tips.some((t) => /another spelling/.test(t)) && tips.some((t) => /a country/.test(t)), tips.join(' | '));
  assert.ok(!tips.some((t) => /filters/.test(t)), 'no filter to clear');
  assert.equal(await page.getByTestId('results').count(), 0);

  // With a filter that leaves Cork out.
  await page.getByTestId('filter-region').selectOption('Africa');
  await search(page, 'cork');
  assert.equal((await empty.getByTestId('count').textContent()).trim(), 'Nothing matched “cork” in Africa.');
  assert.equal((await page.getByTestId('unfiltered').textContent()).trim(), 'Without the filters, “cork” finds 1 city.');
  assert.ok((await empty.locator('li').allTextContents()).some((t) => /Clear the filters/.test(t)));
  await shot(page, 'search-empty');

  await empty.getByRole('button', { name: 'Clear search and filters' }).click();
  await page.getByTestId('city-list').waitFor();
  assert.equal(await page.getByTestId('search').inputValue(), '');
  assert.equal(await page.getByTestId('filter-region').inputValue(), '');
  assert.equal((await page.getByTestId('count').textContent()).trim(), '44 cities');
  assert.equal((await focused(page)).testid, 'search', 'the box has the focus, to type again');
  assert.equal(await hash(page), '#/cities');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the search, its filters and the order survive opening a city and going Back', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  await page.getByTestId('sort').selectOption('population');
  await page.getByTestId('filter-region').selectOption('Europe and North America');
  await search(page, 'cor');
  const before = await names(page);
  assert.equal(before[0], 'Cork');
  assert.equal(await hash(page), '#/cities?q=cor&region=Europe and North America&sort=population');

  await page.getByRole('link', { name: 'Cork', exact: true }).click();
  await page.getByTestId('portrait').waitFor();
  assert.equal(await page.getByRole('link', { name: '← Back to the results for “cor”' }).count(), 1);
  await page.goBack();
  await answered(page, 'cor');
  assert.equal(await page.getByTestId('search').inputValue(), 'cor');
  assert.equal(await page.getByTestId('filter-region').inputValue(), 'Europe and North America');
  assert.equal(await page.getByTestId('sort').inputValue(), 'population');
  assert.deepEqual(await names(page), before);

  // Clearing the search shows the list in the kept order, and that too survives a city and Back.
  await page.getByTestId('search').fill('');
  await page.getByTestId('city-list').waitFor();
  const rows = await page.locator('[data-testid=city-list] tbody a.name').allTextContents();
  await page.getByRole('link', { name: rows[0], exact: true }).click();
  await page.getByTestId('portrait').waitFor();
  await page.goBack();
  await page.getByTestId('city-list').waitFor();
  assert.equal(await page.getByTestId('sort').inputValue(), 'population');
  assert.deepEqual(await page.locator('[data-testid=city-list] tbody a.name').allTextContents(), rows);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('opening #/cities?q=cork searches for "cork"; the nav returns to the last search', async () => {
  const page = await open('#/cities?q=cork');
  await answered(page, 'cork');
  assert.equal(await page.getByTestId('search').inputValue(), 'cork');
  assert.deepEqual(await names(page), ['Cork']);
  assert.equal((await page.getByTestId('count').textContent()).trim(), '1 result for “cork”');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Booklets' }).click();
  await page.getByRole('heading', { name: 'Booklets', level: 1 }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cities' }).click();
  await answered(page, 'cork');
  assert.equal(await page.getByTestId('search').inputValue(), 'cork');
  await page.close();
});

test('Enter or ↓ in the box goes to the first result, ↓ ↑ move between results, Escape clears the box', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  const box = page.getByTestId('search');
  // Enter straight after typing, before the answer: the focus goes to the answer's first result.
  await box.pressSequentially('lifelong learn', { delay: 20 });
  await box.press('Enter');
  await answered(page, 'lifelong learn');
  const found = await names(page);
  assert.ok(found.length >= 3, found.join(', '));
  await page.waitForFunction((first) => document.activeElement?.textContent === first, found[0], { timeout: 2000 });
  assert.equal((await focused(page)).href.startsWith('#/city/'), true);
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused(page)).text, found[1]);
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused(page)).text, found[2]);
  await page.keyboard.press('ArrowUp');
  assert.equal((await focused(page)).text, found[1]);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  assert.equal((await focused(page)).testid, 'search', 'up from the first result is the box');
  await page.keyboard.press('ArrowDown');
  assert.equal((await focused(page)).text, found[0]);
  // Enter on a result opens it.
  await page.keyboard.press('Enter');
  await page.getByTestId('portrait').waitFor();
  await page.goBack();
  await answered(page, 'lifelong learn');
  // Escape in the box clears it and shows every city again.
  await box.focus();
  await box.press('Escape');
  assert.equal(await box.inputValue(), '');
  await page.getByText('44 cities').waitFor();
  assert.equal((await focused(page)).testid, 'search');
  // ArrowDown with no search goes to the first city of the list.
  await box.press('ArrowDown');
  assert.equal((await focused(page)).text, await page.locator('[data-testid=city-list] tbody a.name').first().textContent());
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('"/" and Ctrl+F go to the search from another screen and keep it; "/" in a field is just typed', async () => {
  const page = await open('#/cities?q=cork');
  await answered(page, 'cork');
  await page.getByRole('link', { name: 'Cork', exact: true }).click();
  await page.getByTestId('portrait').waitFor();
  await page.locator('h1, h2').first().click(); // the focus on the page, not in a field
  await page.keyboard.press('/');
  await answered(page, 'cork');
  assert.equal(await hash(page), '#/cities?q=cork');
  assert.equal((await focused(page)).testid, 'search');
  assert.equal(await page.getByTestId('search').inputValue(), 'cork', 'the "/" was not typed into the box');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const feed = page.getByTestId('feed-url');
  await feed.fill('');
  await feed.click();
  await page.keyboard.type('https://a/b');
  assert.equal(await feed.inputValue(), 'https://a/b', '"/" in a text field is typed');
  assert.equal(await hash(page), '#/settings');
  await page.keyboard.press('Control+f');
  await answered(page, 'cork');
  assert.equal((await focused(page)).testid, 'search');
  // On the Cities screen itself, Ctrl+F from a result back to the box.
  await page.getByTestId('search').press('ArrowDown');
  assert.equal((await focused(page)).text, 'Cork');
  await page.keyboard.press('Control+f');
  assert.equal((await focused(page)).testid, 'search');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Alt+← goes back one screen', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Help' }).click();
  await page.getByTestId('guide-coordinators').waitFor();
  await nav.getByRole('link', { name: 'Booklets' }).click();
  await page.getByRole('heading', { name: 'Booklets', level: 1 }).waitFor();
  await page.keyboard.press('Alt+ArrowLeft');
  await page.getByTestId('guide-coordinators').waitFor();
  assert.equal(await hash(page), '#/help', 'one step back, not two');
  await page.keyboard.press('Alt+ArrowLeft');
  await page.getByText('44 cities').waitFor();
  assert.equal(await hash(page), '#/cities');
  await page.close();
});

test('the Help screen has a guide for coordinators, one for reviewers, and the shortcuts', async () => {
  const page = await open('#/cities');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Help' }).click();
  const coordinators = page.getByTestId('guide-coordinators');
  const reviewers = page.getByTestId('guide-reviewers');
  await coordinators.getByRole('heading', { name: 'For city coordinators' }).waitFor();
  await reviewers.getByRole('heading', { name: 'For reviewers at UIL' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Help' }).getAttribute('aria-current'), 'page');
  for (const [guide, words] of [
    [coordinators, ['token', 'Settings', 'Edit', 'Submit for review', 'comments', 'offline']],
    [reviewers, ['staff token', 'inbox', 'Comment', 'Accept and publish', 'Send back for changes', 'Reject', 'Booklets', 'PDF']],
  ]) {
    const steps = await guide.locator('ol > li').count();
    assert.ok(steps >= 6 && steps <= 12, `${steps} steps`);
    const text = await guide.textContent();
    for (const w of words) assert.ok(text.includes(w), `${w} is in the guide`);
  }
  const keys = await page.getByTestId('shortcuts').textContent();
  for (const k of ['Ctrl + F', '/', 'Enter', 'Esc', 'Alt + ←']) assert.ok(keys.includes(k), `${k} is listed`);
  await shot(page, 'help');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the count reads "1 city" and "3 cities"', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  await page.getByTestId('filter-country').selectOption('Denmark');
  await page.getByTestId('count').filter({ hasText: /^1 city$/ }).waitFor();
  assert.equal(await page.locator('[data-testid=city-list] tbody tr').count(), 1);
  await page.getByTestId('filter-country').selectOption('');
  await page.getByTestId('filter-region').selectOption('Africa');
  await page.getByTestId('count').filter({ hasText: /^3 cities$/ }).waitFor();
  // No city in the filters: said so, with a way out.
  await page.getByTestId('filter-award').selectOption('2024');
  const none = page.getByTestId('no-results');
  await none.waitFor();
  assert.match(await none.textContent(), /No city matches these filters \(in Africa, with the Learning City Award 2024\)\./);
  await none.getByRole('button', { name: 'Clear the filters' }).click();
  await page.getByTestId('count').filter({ hasText: /^44 cities$/ }).waitFor();
  await page.close();
});

test('the City screen finds partners, each with its reasons, and opens one', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/#/city/hn-cantarranas`);
  await page.getByTestId('find-partners').click();
  const list = page.getByTestId('partners');
  await list.waitFor();
  const items = list.locator(':scope > li');
  assert.equal(await items.count(), 5);
  for (let i = 0; i < 5; i++) {
    assert.ok((await items.nth(i).locator('.reasons li').count()) >= 1, `partner ${i + 1} has a reason`);
  }
  const first = await items.first().locator('a.pname').textContent();
  await shot(page, 'city-partners');
  await items.first().locator('a.pname').click();
  await page.getByTestId('portrait').filter({ hasText: first }).waitFor();
  // Another city: the panel starts again.
  assert.equal(await page.getByTestId('partners').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Compare sets cities side by side: facts with years and bars, shared areas, sections; from the partner panel', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/#/city/ie-cork`);
  await page.getByTestId('find-partners').click();
  await page.getByTestId('compare-link').first().click();
  const table = page.getByTestId('compare');
  await table.waitFor();
  assert.equal(await table.locator('thead th').count(), 3, 'Cork and its first partner');
  // Add Limerick from the picker: three columns.
  await page.getByTestId('compare-add').selectOption('ie-limerick');
  await table.locator('thead th', { hasText: 'Limerick' }).waitFor();
  const population = table.getByTestId('compare-fact').first();
  assert.match(await population.textContent(), /289,739 \(2015\)/);
  assert.equal(await population.locator('.bar').count(), 3);
  assert.match(await table.getByTestId('compare-fact').nth(5).textContent(), /347\.8/, 'density');
  assert.match(await table.textContent(), /Vision and motivation/);
  await shot(page, 'compare');
  // Remove a city: two left.
  await table.getByRole('button', { name: /Remove Limerick/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare] thead th').length === 3);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a new user compares Cork and Limerick, picked from the list: awards, clusters and interests side by side', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/#/cities`);
  await page.getByTestId('count').waitFor();
  // Their member records as the cities would fill them in (the bundled ones give none).
  await page.evaluate(async () => {
    const h = window.__fakeHost;
    await h.ready;
    Object.assign(h.latest('ie-cork'), { clusters: ['equity_and_inclusion', 'literacy'], interests: [{ theme: 'literacy', interest: 5, expertise: 3 }] });
    Object.assign(h.latest('ie-limerick'), { clusters: ['literacy'], interests: [{ theme: 'literacy', interest: 2, expertise: 5 }] });
  });
  assert.equal(await page.getByTestId('compare-picked').isDisabled(), true);
  await page.getByTestId('pick-ie-cork').check();
  assert.equal(await page.getByTestId('compare-picked').isDisabled(), true, 'one city is not a comparison');
  await page.getByTestId('pick-ie-limerick').check();
  await page.getByTestId('compare-picked').click();
  const table = page.getByTestId('compare');
  await table.waitFor();
  assert.deepEqual(await table.locator('thead th a').allTextContents(), ['Cork', 'Limerick']);
  const row = (name) => table.locator('tbody tr', { has: page.locator('th', { hasText: name }) }).first();
  assert.deepEqual(await row('Learning City Award').locator('td').allTextContents(), ['2015, 2024', '2017']);
  assert.match(await row('Mayor').textContent(), /Des Cahill.*Kieran O'Hanlon/);
  // The cluster both work in is marked; interests as bars with their figures for screen readers.
  assert.deepEqual(await table.getByTestId('compare-clusters').locator('li.shared').allTextContents(), ['Literacy', 'Literacy']);
  const ratings = await table.getByTestId('compare-interests').locator('[role=img]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  assert.deepEqual(ratings, ['interest 5 of 5, expertise 3 of 5', 'interest 2 of 5, expertise 5 of 5']);
  await shot(page, 'compare-cork-limerick');
  // No more than four can be ticked.
  await page.evaluate(() => { location.hash = '#/cities'; });
  for (const id of ['ie-cork', 'ie-limerick', 'fi-espoo', 'dk-sonderborg']) await page.getByTestId(`pick-${id}`).check();
  assert.equal(await page.getByTestId('pick-kr-osan').isDisabled(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the city list of a network of 10,044 cities is windowed: few rows in the page, every one reachable by scrolling', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/#/cities`);
  await page.getByTestId('count').waitFor();
  await page.waitForFunction(() => !!window.__fakeHost);
  await page.evaluate(() => window.__fakeHost.addSynthetic(10_000));
  // A new order reads the list again.
  await page.getByTestId('sort').selectOption('country');
  await page.getByTestId('sort').selectOption('name');
  await page.getByTestId('count').filter({ hasText: '10,044 cities' }).waitFor();
  await page.locator('[data-testid=city-list][data-windowed=true]').waitFor();
  const drawn = () => page.locator('[data-testid=city-list] tr[data-row]').count();
  assert.ok((await drawn()) < 250, `only the rows near the view are drawn: ${await drawn()}`);
  assert.equal(await page.getByTestId('city-list').getAttribute('aria-rowcount'), '10045');
  const names = await page.evaluate(async () => (await window.__fakeHost.listCities({ region: null, country: null, award: null, key_feature: null }, 'name')).map((c) => c.name));
  // The first city at the top.
  assert.equal(await page.locator('[data-testid=city-list] tr[data-row] .name').first().textContent(), names[0]);
  // The last one at the bottom, after scrolling there.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.locator('[data-testid=city-list] tr[data-row] .name', { hasText: names[names.length - 1] }).waitFor();
  assert.ok((await drawn()) < 250);
  // The middle, and the row shown at the middle of the view is about the middle one.
  await page.evaluate(() => {
    const t = document.querySelector('[data-testid=city-list]');
    window.scrollTo(0, t.getBoundingClientRect().top + window.scrollY + t.getBoundingClientRect().height / 2 - window.innerHeight / 2);
  });
  await page.waitForTimeout(200);
  const mid = await page.evaluate(() => {
    const el = document.elementFromPoint(640, window.innerHeight / 2)?.closest('tr[data-row]');
    return el ? Number(el.getAttribute('aria-rowindex')) : null;
  });
  assert.ok(mid !== null && Math.abs(mid - 5022) < 400, `the middle of the list shows the middle rows: row ${mid}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'cities-10000');
  assert.deepEqual(errors, []);
  await page.close();
});
