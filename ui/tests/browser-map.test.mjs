// The Map screen (#/map) in a real browser (Debian's Chromium through playwright-core) against
// the built UI with the fake host: the countries drawn offline, a dot per city with a location
// (named, hovered, reached with Tab, opened with Enter or a click), finding Sønderborg, the
// Cities filters shared with the list, and the cities without a location listed beside the map.
// Which cities have a location is read from the page, so the test holds whatever the data says;
// Sønderborg's dot is checked whenever it has one. Run after `npm run build`:
// `node --test tests/browser-map.test.mjs`.
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

const SONDERBORG = 'Sønderborg, Denmark, Learning City Award 2019';

/** A new window on the map, the countries drawn; requests that leave the app are kept. */
async function open(hash = '#/map', viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  const away = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) away.push(r.url()); });
  await page.goto(`${base}/${hash}`);
  await page.locator('[data-testid=map] path.country').first().waitFor({ timeout: 10_000 });
  await page.getByTestId('map-count').waitFor();
  Object.assign(page, { errors, away });
  return page;
}

const dots = (page) => page.locator('[data-testid=map] a[data-testid^=map-dot-]');
const dotIds = async (page) => (await dots(page).evaluateAll((as) => as.map((a) => a.dataset.testid.slice('map-dot-'.length))));
const missingNames = async (page) => page.locator('[data-testid=map-missing] li a').allTextContents();
const hash = (page) => page.evaluate(() => decodeURIComponent(location.hash));
const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

/** "41 of 44 cities shown" as numbers. */
async function counted(page) {
  const m = /^(\d+) of (\d+) cit(y|ies) shown$/.exec((await page.getByTestId('map-count').textContent()).trim());
  assert.ok(m, 'the count reads "N of M cities shown"');
  return { shown: Number(m[1]), total: Number(m[2]) };
}

test('the map draws the countries offline and a dot per city with a location; the others are listed', async () => {
  const page = await open();
  const svg = page.getByTestId('map');
  // Natural Earth 1:50m: small members' countries are there too.
  assert.ok(await svg.locator('path.country').count() > 200);
  assert.equal(await svg.locator('path.country[data-name="Sint Maarten"]').count(), 1);
  assert.equal(await svg.locator('path.country[data-name="Denmark"]').count(), 1);
  // Every city is either a dot or in the list beside the map, and the count says so.
  const ids = await dotIds(page);
  const missing = await missingNames(page);
  const { shown, total } = await counted(page);
  assert.equal(total, 44);
  assert.equal(shown, ids.length);
  assert.equal(ids.length + missing.length, 44, `${ids.length} dots and ${missing.length} listed`);
  // The bundled data place every city (data/CURATION.md), the smallest members too.
  assert.equal(ids.length, 44, `every bundled city has a location; listed: ${missing}`);
  for (const id of ['dk-sonderborg', 'sx-philipsburg', 'hn-cantarranas', 'kr-gwanak-gu']) assert.ok(ids.includes(id), id);
  await page.getByText('Every city shown has a location.').waitFor();
  // A city whose latest version has no location is listed beside the map, and opens from there.
  await page.evaluate(() => { window.__fakeHost.latest('ng-kano-state').location = null; });
  await page.evaluate(() => { location.hash = '#/cities'; });
  await page.getByTestId('count').waitFor();
  await page.evaluate(() => { location.hash = '#/map'; });
  await page.getByRole('heading', { name: 'Not on the map (no location yet)' }).waitFor();
  assert.deepEqual(await missingNames(page), ['Kano State']);
  assert.deepEqual(await counted(page), { shown: 43, total: 44 });
  assert.equal(await page.getByTestId('map-dot-ng-kano-state').count(), 0);
  await page.locator('[data-testid=map-missing] li a').first().click();
  await page.getByTestId('portrait').getByRole('heading', { name: 'Kano State' }).waitFor();
  await page.evaluate(() => { location.hash = '#/map'; });
  await page.getByTestId('map-count').waitFor();
  // Award cities are ringed, and every dot is named with its country (and award).
  const labels = await dots(page).evaluateAll((as) => as.map((a) => [a.getAttribute('aria-label'), a.querySelector('circle.ring') !== null]));
  for (const [label, ringed] of labels) {
    assert.match(label, /^[^,]+, [^,]+/);
    assert.equal(ringed, label.includes('Learning City Award'), label);
  }
  assert.deepEqual(page.away, [], 'nothing was fetched from outside the app');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a new user finds Sønderborg on the map: typed, named, hovered, opened', async () => {
  const page = await open();
  const dot = page.getByTestId('map-dot-dk-sonderborg');
  assert.equal(await dot.count(), 1, 'Sønderborg is on the map');
  // Its accessible name, as a screen reader says it.
  assert.equal(await dot.getAttribute('aria-label'), SONDERBORG);
  assert.equal(await page.getByRole('link', { name: SONDERBORG, exact: true }).count(), 1);
  // The pointer on it names it.
  await dot.hover();
  const tip = page.locator('[data-testid=map-tip].full');
  await tip.waitFor();
  assert.match(await tip.textContent(), /Sønderborg\s*Denmark\s*Learning City Award 2019/);
  await shot(page, 'map');
  await page.mouse.move(5, 5);
  await tip.waitFor({ state: 'detached' });
  // Typed without the ø, found; Enter goes to the dot (named on focus), Enter again opens it.
  await page.getByTestId('map-find').pressSequentially('sonder', { delay: 30 });
  await page.getByTestId('map-find-status').getByText(`${SONDERBORG}: press Enter to go to it.`).waitFor();
  assert.equal(await page.locator('[data-testid=map] a.found').count(), 1);
  await page.getByTestId('map-find').press('Enter');
  assert.equal(await focused(page), 'map-dot-dk-sonderborg');
  assert.match(await tip.textContent(), /Sønderborg/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#/city/dk-sonderborg');
  await page.getByTestId('portrait').getByText('Sustainable development and the 4-17-42 way of thinking').waitFor();
  // Back, and a click on the dot opens it too.
  await page.goBack();
  await page.getByTestId('map-dot-dk-sonderborg').click();
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#/city/dk-sonderborg');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Tab reaches the dots west to east, each named on focus, and Enter opens one', async () => {
  const page = await open();
  const ids = await dotIds(page);
  assert.ok(ids.length >= 2);
  // The last control before the map is the last zoom button: Tab from it lands on the first dot.
  await page.locator('.zoom button').last().focus();
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `map-dot-${ids[0]}`);
  const first = await page.getByTestId(`map-dot-${ids[0]}`).getAttribute('aria-label');
  const tip = page.locator('[data-testid=map-tip].full');
  assert.ok((await tip.textContent()).includes(first.split(',')[0]), 'the focused dot is named');
  // A visible focus ring is drawn around it.
  assert.equal(await page.locator('[data-testid=map] circle.active-ring').count(), 1);
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), `map-dot-${ids[1]}`);
  // West to east: the dots' x positions never go back.
  const xs = await dots(page).evaluateAll((as) => as.map((a) => Number(a.querySelector('circle.dot').getAttribute('cx'))));
  assert.deepEqual(xs, [...xs].sort((a, b) => a - b));
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => decodeURIComponent(location.hash) === `#/city/${id}`, ids[1]);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the Cities filters apply to the map, and the list and the map share them', async () => {
  const page = await open();
  const all = await dotIds(page);
  await page.getByTestId('filter-region').selectOption('Africa');
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#/map?region=Africa');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=map] a[data-testid^=map-dot-]').length < n, all.length);
  const { shown, total } = await counted(page);
  assert.ok(total < 44 && total > 0, `${total} cities in Africa`);
  const africa = await dotIds(page);
  assert.equal(shown, africa.length);
  assert.equal(africa.length + (await missingNames(page)).length, total);
  assert.ok(africa.every((id) => all.includes(id)));
  // The view zoomed to them.
  assert.notEqual(await page.getByTestId('map').getAttribute('viewBox'), null);
  assert.equal(await page.getByTestId('map-zoom-fit').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('map-zoom-world').click();
  assert.equal(await page.getByTestId('map-zoom-world').getAttribute('aria-pressed'), 'true');
  // The Cities screen shows the same filter; and the map comes back with it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cities' }).click();
  await page.getByText(`${total} cities`).waitFor();
  assert.equal(await page.getByTestId('filter-region').inputValue(), 'Africa');
  await page.getByTestId('show-on-map').click();
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#/map?region=Africa');
  await page.getByTestId('map-count').waitFor();
  assert.deepEqual(await dotIds(page), africa);
  // A filter that leaves nothing says so.
  await page.getByTestId('filter-award').selectOption('2024');
  await page.getByText('No city matches these filters.').waitFor();
  assert.equal(await dots(page).count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('zooming to a region, and the map on a narrow window', async () => {
  const page = await open();
  const world = await page.getByTestId('map').getAttribute('viewBox');
  await page.getByTestId('map-zoom-Europe and North America').click();
  const europe = await page.getByTestId('map').getAttribute('viewBox');
  assert.notEqual(europe, world);
  assert.ok(Number(europe.split(' ')[2]) < Number(world.split(' ')[2]), 'zoomed in');
  // Dots keep their size on screen when zoomed.
  const size = await dots(page).first().locator('circle.dot').boundingBox();
  assert.ok(size.width > 7 && size.width < 14, `a dot is ${size.width}px wide`);
  await page.close();

  const narrow = await open('#/map', { width: 700, height: 900 });
  const svg = await narrow.getByTestId('map').boundingBox();
  assert.ok(svg.width > 600 && svg.width <= 700, `the map is ${svg.width}px wide`);
  const side = await narrow.getByTestId('map-count').boundingBox();
  assert.ok(side.y > svg.y + svg.height, 'the list goes below the map');
  assert.equal(await narrow.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true, 'no sideways scrolling');
  await narrow.close();
});

test("a city's member record leads to it on the map", async () => {
  const page = await open();
  await page.evaluate(() => { location.hash = '#/city/dk-sonderborg'; });
  await page.getByTestId('member-record').getByRole('link', { name: 'On the map' }).click();
  await page.getByTestId('map-count').waitFor();
  assert.equal(await page.getByTestId('map-find').inputValue(), 'Sønderborg');
  await page.getByTestId('map-find-status').getByText(`${SONDERBORG}: press Enter to go to it.`).waitFor();
  assert.equal(await page.locator('[data-testid=map] a.found').count(), 1);
  await page.close();
});
