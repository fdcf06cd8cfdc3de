// The UI in a real browser (Debian's Chromium through playwright-core) against the built UI
// with the fake host: search, filter, open a city, edit with validation errors, reorder a
// booklet. Run after `npm run build`: `node --test tests/browser.test.mjs`.
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
  await page.getByTestId('count').waitFor({ timeout: 10_000 }).catch(() => {});
  page.errors = errors;
  return page;
}

test('the city list shows the 44 cities and search answers as you type', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  assert.equal(await page.locator('[data-testid=city-list] tbody tr').count(), 44);
  await page.getByTestId('search').fill('eskisehir');
  await page.locator('[data-testid=results] li').first().waitFor();
  const first = await page.locator('[data-testid=results] li .name').first().textContent();
  assert.equal(first, 'Eskişehir');
  await page.getByTestId('search').fill('sonderborg');
  await page.locator('[data-testid=results] li .name', { hasText: 'Sønderborg' }).waitFor();
  await shot(page, 'browser-search');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('filters narrow the list', async () => {
  const page = await open('#/cities');
  await page.getByText('44 cities').waitFor();
  await page.getByTestId('filter-region').selectOption('Africa');
  await page.getByText('3 cities').waitFor();
  const regions = await page.locator('[data-testid=city-list] tbody tr td:nth-child(4)').allTextContents();
  assert.ok(regions.length > 0 && regions.every((r) => r === 'Africa'), regions.join(','));
  await page.getByTestId('filter-region').selectOption('');
  await page.getByTestId('filter-award').selectOption('2015');
  await page.getByText('9 cities').waitFor();
  await page.close();
});

test('opening a city shows its portrait like the booklet page', async () => {
  const page = await open('#/cities');
  await page.getByRole('link', { name: 'Sønderborg' }).click();
  const portrait = page.getByTestId('portrait');
  await portrait.getByText('Sustainable development and the 4-17-42 way of thinking').waitFor();
  const text = await portrait.textContent();
  for (const s of ['Denmark', 'Vision and motivation', 'Plan and implementation', '74,737', 'Erik Lauritzen', 'calu@Sønderborg.dk']) {
    assert.ok(text.includes(s), `${s} missing`);
  }
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.getByTestId('version-diff').waitFor();
  await shot(page, 'browser-city');
  await page.close();
});

test('editing shows validation errors next to their fields', async () => {
  const page = await open('#/settings');
  await page.getByTestId('token').fill(`gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('connect').click();
  await page.getByTestId('identity').waitFor();
  await page.goto(`${base}/#/edit/ie-cork`);
  await page.getByTestId('lead').waitFor();
  await page.getByTestId('lead').fill('');
  await page.getByTestId('error-$.lead').waitFor();
  assert.match(await page.getByTestId('error-$.lead').textContent(), /must not be empty/i);
  await page.getByTestId('contact-0-email').fill('learningfestival at corkcity.ie');
  await page.getByTestId('error-$.contacts[0].email').waitFor();
  await page.getByTestId('fact-population-value').fill('lots');
  await page.getByTestId('error-$.facts.population.value').waitFor();
  assert.equal(await page.getByTestId('lead').getAttribute('aria-invalid'), 'true');
  // The draft is saved on every change, errors and all; Submit stays disabled while there are
  // errors, and each error leads to its field.
  await page.getByText(/Draft saved/).waitFor();
  assert.equal(await page.getByTestId('submit').isDisabled(), true, 'Submit is disabled while there are errors');
  const list = page.getByTestId('error-list');
  await list.getByRole('button', { name: /^Population:/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'fact-population-value');
  await shot(page, 'browser-edit-errors');
  // Fixing them makes the form valid again.
  await page.getByTestId('lead').fill('Cork, a city of learning.');
  await page.getByTestId('contact-0-email').fill('learningfestival@corkcity.ie');
  await page.getByTestId('fact-population-value').fill('289,739');
  await page.getByTestId('error-count').waitFor({ state: 'detached' });
  await page.close();
});

test('staff edit any city; a plain bullet list is edited as a list', async () => {
  const page = await open('#/settings');
  await page.getByTestId('token').fill(`gnlc_${'f'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('connect').click();
  await page.getByTestId('identity').filter({ hasText: 'UIL staff' }).waitFor();
  await page.goto(`${base}/#/edit/ar-villa-maria`);
  const list = page.getByTestId('challenges-list');
  await list.waitFor();
  assert.equal(await list.locator('input').count(), 5);
  await list.getByRole('button', { name: 'Add a challenge' }).click();
  await list.locator('input').nth(5).fill('Digital literacy for older people');
  await list.getByRole('button', { name: 'Remove challenge 2' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await preview.getByText('Digital literacy for older people').waitFor();
  assert.equal(await preview.getByText('Childcare').count(), 0);
  await page.getByText(/Draft saved/).waitFor();
  const draft = await page.evaluate(() => window.__fakeHost.getDraft('ar-villa-maria'));
  assert.equal(draft.portrait.challenges, '- Adult illiteracy\n- Inclusive learning\n- Learning in families and communities\n- Sustainability\n- Digital literacy for older people');
  await page.close();
});

test('a booklet is reordered by keyboard and by buttons', async () => {
  const page = await open('#/booklets');
  await page.getByRole('button', { name: 'UNESCO Learning City Award 2019' }).click();
  // The award booklet comes with the app: it is read-only until duplicated.
  await page.getByTestId('bundled-note').waitFor();
  assert.equal(await page.locator('[data-testid=entry]').first().getByRole('button', { name: /down$/ }).isDisabled(), true);
  await page.getByTestId('duplicate-booklet').click();
  await page.getByText('UNESCO Learning City Award 2019 (copy)').first().waitFor();
  assert.equal(await page.getByTestId('bundled-note').count(), 0);
  const names = () => page.locator('[data-testid=entry] .nm').allTextContents();
  await page.locator('[data-testid=entry]').first().waitFor();
  const before = await names();
  assert.equal(before.length, 10);
  // Keyboard: focus the first city, Alt+ArrowDown twice.
  await page.locator('[data-testid=entry]').first().focus();
  // (The focus follows the moved city; wait for it as a person would see it.)
  await page.keyboard.press('Alt+ArrowDown');
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-entry') === '1');
  await page.keyboard.press('Alt+ArrowDown');
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-entry') === '2');
  let after = await names();
  assert.deepEqual(after.slice(0, 3), [before[1], before[2], before[0]]);
  // The moved item keeps the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.querySelector('.nm')?.textContent), before[0]);
  // Buttons: move the last one up.
  const last = after[after.length - 1];
  await page.locator('[data-testid=entry]').last().getByRole('button', { name: /up$/ }).click();
  after = await names();
  assert.equal(after[after.length - 2], last);
  // Drag and drop: the third entry onto the first (the HTML5 drag events the list handles,
  // dispatched in order; a synthesized mouse drag is timing-dependent in headless Chromium).
  await page.evaluate(() => {
    const entries = document.querySelectorAll('[data-testid=entry]');
    const data = new DataTransfer();
    entries[2].dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
    entries[0].dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
    entries[0].dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
    entries[2].dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: data }));
  });
  await page.waitForFunction((want) => document.querySelector('[data-testid=entry] .nm')?.textContent === want, after[2]);
  const dragged = await names();
  assert.equal(dragged[0], after[2]);
  await page.getByTestId('export').click();
  await page.getByTestId('exported').waitFor();
  assert.doesNotMatch(await page.getByTestId('exported').textContent(), /print shop/);
  // For a print shop: the options appear when the box is ticked, are sent with the export and
  // said with its result.
  assert.equal(await page.getByTestId('print-marks').count(), 0);
  await page.getByLabel(/Print-ready PDF/).check();
  await page.getByLabel('Crop marks at the corners').waitFor();
  await page.getByLabel(/saddle-stitch order/).check();
  await page.getByTestId('export').click();
  await page.getByTestId('exported').filter({ hasText: 'print shop' }).waitFor();
  const said = await page.getByTestId('exported').textContent();
  assert.match(said, /-print\.pdf: \d+ sheet sides, \d+ cities, for the print shop: 3 mm bleed, pages in fours, crop marks, two pages a side of each A4 sheet/);
  assert.deepEqual(await page.evaluate(() => window.__fakeHost.lastPrint), { marks: true, saddle_stitch: true });
  // In French: the language goes with the export and is said with its result.
  await page.getByLabel(/Print-ready PDF/).uncheck();
  await page.getByLabel('Language of the headings, facts and numbers').selectOption('fr');
  await page.getByTestId('export').click();
  await page.getByTestId('exported').filter({ hasText: 'in Français' }).waitFor();
  assert.match(await page.getByTestId('exported').textContent(), /-fr\.pdf: \d+ pages, \d+ cities, in Français\./);
  assert.equal(await page.evaluate(() => window.__fakeHost.lastLang), 'fr');
  assert.equal(await page.evaluate(() => window.__fakeHost.lastPrint), null);
  await shot(page, 'browser-booklets');
  await page.close();
});

test('a booklet never overwrites another: a taken id is refused, unsaved edits and deletes ask first', async () => {
  const page = await open('#/booklets');
  await page.getByTestId('new-booklet').click();
  // The id comes from the title; typing the award booklet's id is refused before and at Save.
  await page.getByLabel('Title', { exact: true }).fill('Ports and rivers');
  assert.equal(await page.getByTestId('booklet-id').getAttribute('placeholder'), 'ports-and-rivers');
  await page.getByRole('button', { name: 'Add Cork' }).click();
  await page.getByTestId('booklet-id').fill('learning-city-award-2019');
  await page.getByText('Another booklet has this id').waitFor();
  await page.getByTestId('save-booklet').click();
  await page.getByRole('alert').filter({ hasText: 'exists already' }).waitFor();
  // The award booklet is untouched: still 10 cities, still its title.
  assert.match(await page.getByTestId('booklet-list').textContent(), /UNESCO Learning City Award 2019\s*10 cities/);
  // Without a typed id, Create makes one from the title.
  await page.getByTestId('booklet-id').fill('');
  await page.getByTestId('save-booklet').click();
  await page.getByText('Saved “Ports and rivers”').waitFor();
  assert.equal(await page.getByTestId('booklet-id-fixed').textContent(), 'ports-and-rivers');
  // An unsaved edit, then another booklet: asked first; Keep editing keeps the edit.
  await page.getByRole('button', { name: 'Add Espoo' }).click();
  await page.getByTestId('unsaved').waitFor();
  await page.getByRole('button', { name: 'UNESCO Learning City Award 2019' }).click();
  await page.getByTestId('confirm-switch').waitFor();
  await shot(page, 'browser-booklet-unsaved');
  await page.getByRole('button', { name: 'Keep editing' }).click();
  assert.equal(await page.locator('[data-testid=entry]').count(), 2);
  // Save changes from the question: saved, then switched.
  await page.getByRole('button', { name: 'UNESCO Learning City Award 2019' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByTestId('bundled-note').waitFor();
  assert.match(await page.getByTestId('booklet-list').textContent(), /Ports and rivers\s*2 cities/);
  // The app's own booklets have no Delete; the user's asks before deleting.
  assert.equal(await page.getByTestId('delete-booklet').count(), 0);
  await page.getByRole('button', { name: 'Ports and rivers' }).click();
  await page.getByTestId('delete-booklet').click();
  await page.getByTestId('confirm-delete').waitFor();
  await page.getByRole('button', { name: 'Keep it' }).click();
  assert.match(await page.getByTestId('booklet-list').textContent(), /Ports and rivers/);
  await page.getByTestId('delete-booklet').click();
  await page.getByRole('button', { name: 'Delete booklet' }).click();
  await page.getByText('Deleted “Ports and rivers”').waitFor();
  assert.doesNotMatch(await page.getByTestId('booklet-list').textContent(), /Ports and rivers/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('what the sync holds back is shown, with why, from the indicator to Settings', async () => {
  const page = await open('#/cities');
  await page.evaluate(() => {
    window.__fakeHost.held = [{
      item_id: 'ie-cork/v3', city_id: 'ie-cork', version: 3,
      reason: 'photo 3894ee92… could not be fetched: HTTP 404', feed: 'https://portraits.example.org',
      attempts: 4, first_at: '2026-11-30T09:00:00Z', at: '2026-11-30T12:00:00Z',
    }];
  });
  await page.getByTestId('sync-now').click();
  const link = page.getByTestId('sync-held');
  await link.waitFor({ timeout: 15_000 });
  assert.match(await link.textContent(), /1 update held back/);
  await link.click();
  const card = page.getByTestId('held-back');
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /Cork, version 3/);
  assert.doesNotMatch(text, /ie-cork/);
  assert.match(text, /could not be fetched: HTTP 404/);
  assert.match(text, /tried 4 times/);
  await shot(page, 'browser-held-back');
  assert.deepEqual(page.errors, []);
});

test('a coordinator submits and a reviewer decides, through the typed review', async () => {
  const page = await open('#/settings');
  const asStaff = async () => {
    await page.goto(`${base}/#/settings`);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('token').fill(`gnlc_${'f'.repeat(16)}_${'b'.repeat(64)}`);
    await page.getByTestId('connect').click();
    await page.getByTestId('identity').filter({ hasText: 'UIL staff' }).waitFor();
  };
  const asCork = async () => {
    await page.goto(`${base}/#/settings`);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('token').fill(`gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`);
    await page.getByTestId('connect').click();
    await page.getByTestId('identity').filter({ hasText: 'coordinator of Cork' }).waitFor();
  };
  const submitLead = async (lead, note) => {
    await page.goto(`${base}/#/edit/ie-cork`);
    await page.getByTestId('lead').waitFor();
    await page.getByTestId('lead').fill(lead);
    await page.getByText(/Draft saved/).waitFor();
    await page.getByTestId('submit').click();
    await page.getByTestId('submit-summary').waitFor();
    if (note) await page.getByTestId('submit-note').fill(note);
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('submit-status').waitFor();
    await page.getByTestId('sync-now').click();
  };
  await page.getByTestId('feed-url').fill('https://portraits.example.org');
  await page.getByTestId('token').fill(`gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('connect').click();
  await page.getByTestId('identity').filter({ hasText: 'coordinator of Cork' }).waitFor();
  await page.goto(`${base}/#/edit/ie-cork`);
  await page.getByTestId('lead').waitFor();
  await page.getByTestId('lead').fill('Cork, a city of learning by the Lee.');
  await page.getByText(/Draft saved/).waitFor();
  await page.getByTestId('submit').click();
  // Before sending: what changed against the published version, in words.
  const summary = page.getByTestId('submit-summary');
  await summary.waitFor();
  assert.match(await summary.textContent(), /Lead paragraph: .* → Cork, a city of learning by the Lee\./);
  await summary.scrollIntoViewIfNeeded();
  await shot(page, 'browser-submit-summary');
  await page.getByTestId('confirm-submit').click();
  await page.getByTestId('submit-status').waitFor();
  await page.getByTestId('sync-now').click();
  // Submitted twice: the second replaces the first.
  await submitLead('Cork, a city of learning by the river Lee.');

  await asStaff();
  await page.goto(`${base}/#/submissions`);
  // One row for Cork, in words.
  await page.getByTestId('inbox-ie-cork').waitFor();
  assert.equal(await page.getByTestId('inbox-ie-cork').count(), 1, 'one open submission per city');
  const inboxText = await page.getByTestId('inbox').textContent();
  assert.match(inboxText, /Cork\s*Submitted\s*Round 2/);
  await page.getByTestId('inbox-ie-cork').click();
  const review = page.getByTestId('review');
  await review.waitFor();
  assert.match(await page.getByTestId('review-status').textContent(), /^In review$/);
  const change = page.getByTestId('change-lead');
  assert.match(await change.locator('th').textContent(), /Lead paragraph/);
  assert.match(await change.locator('ins').allTextContents().then((t) => t.join(' ')), /Lee/);
  const text = await review.textContent();
  assert.doesNotMatch(text, /in_review|mine|theirs|"lead"|\{/, 'no codes, keys or JSON');
  // The submitted page as it will look.
  await page.getByTestId('show-page').click();
  await review.getByTestId('portrait').filter({ hasText: 'by the river Lee' }).waitFor();
  // Send it back without a comment: refused, in words, next to the buttons.
  await page.getByTestId('request-changes').click();
  await page.getByTestId('decide-error').filter({ hasText: /a comment is needed/ }).waitFor();
  await page.getByLabel('Comment on Lead paragraph').fill('Please name the river once only.');
  await page.getByTestId('request-changes').click();
  await page.getByTestId('decision').filter({ hasText: /Sent back to Cork with 1 comment/ }).waitFor();
  assert.equal(await page.getByTestId('accept').count(), 0, 'a decided submission has no decision buttons');

  // Cork sees the comment, resubmits; the reviewer sees the changes since the review.
  await asCork();
  await page.goto(`${base}/#/submissions`);
  const mine = page.getByTestId('my-submission');
  await mine.filter({ hasText: 'Changes requested' }).waitFor();
  assert.match(await mine.textContent(), /Lead paragraph: Please name the river once only\./);
  await page.getByTestId('open-in-editor').waitFor();
  await submitLead('Cork, a city of learning by the Lee, again.', 'Named it once, as you asked.');
  await asStaff();
  await page.goto(`${base}/#/submissions`);
  await page.getByTestId('inbox-ie-cork').click();
  const since = page.getByTestId('since-last-review');
  await since.waitFor();
  assert.match(await since.textContent(), /Changes since your review of round 2/);
  assert.match(await since.textContent(), /Lead paragraph/);
  assert.match(await since.textContent(), /Please name the river once only/);
  // Cork's reply, with the round it came with.
  assert.match(await page.getByTestId('review-note').textContent(), /Cork writes: Named it once, as you asked\./);
  await shot(page, 'browser-review');
  // Reject asks first; Cancel keeps it open.
  await page.getByTestId('reject').click();
  await page.getByTestId('confirm-reject').waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByTestId('confirm-reject').count(), 0);
  await page.getByTestId('accept').click();
  await page.getByTestId('decision').filter({ hasText: /published as version 3/ }).waitFor();
  await page.getByTestId('decided').filter({ hasText: /Accepted .*published as version 3/ }).waitFor();
  // The replaced rounds are listed as such, and cannot be decided.
  await page.getByTestId('inbox-filter').selectOption('replaced');
  await page.getByTestId('inbox-ie-cork').first().click();
  await page.getByTestId('decided').filter({ hasText: /sent a newer version/ }).waitFor();
  assert.equal(await page.getByTestId('accept').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('connect in one step: the network feed by default, messages next to Connect, in words, and Enter submits', async () => {
  const page = await open('#/settings');
  // A new installation starts with the network's feed.
  assert.equal(await page.getByTestId('feed-url').inputValue(), 'https://portraits.uil.unesco.org');
  // An unreachable server: said next to Connect, in words (no transport error); nothing signed in.
  await page.getByTestId('feed-url').fill('https://unreachable.example.org');
  await page.getByTestId('token').fill(`gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('connect').click();
  const err = page.getByTestId('connect-error');
  await err.waitFor();
  assert.match(await err.textContent(), /Can't reach https:\/\/unreachable\.example\.org/);
  assert.doesNotMatch(await err.textContent(), /tcp|os error/);
  assert.equal(await page.getByTestId('identity').count(), 0);
  // Without a token it is saved but the sync says it cannot reach the server.
  await page.getByTestId('token').fill('');
  await page.getByTestId('connect').click();
  await page.getByTestId('connect-error').filter({ hasText: /Saved, but can't reach/ }).waitFor();
  // A token the server does not know: said next to Connect.
  await page.getByTestId('feed-url').fill('https://gnlc.example.org');
  await page.getByTestId('token').fill(`gnlc_${'0'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('connect').click();
  await page.getByTestId('connect-error').filter({ hasText: /did not accept this token/ }).waitFor();
  // Not a token at all: said next to the token field.
  await page.getByTestId('token').fill('hello');
  await page.getByTestId('token').press('Enter');
  await page.getByText(/not a token/).first().waitFor();
  // The invitation's URL and token, then Enter: connected, who and where said in words.
  await page.getByTestId('token').fill(`gnlc_${'a'.repeat(16)}_${'b'.repeat(64)}`);
  await page.getByTestId('token').press('Enter');
  await page.getByTestId('connect-message').filter({ hasText: /Connected to https:\/\/gnlc\.example\.org\. Signed in as the coordinator of Cork\./ }).waitFor();
  assert.match(await page.getByTestId('identity').textContent(), /coordinator of Cork/);
  assert.doesNotMatch(await page.getByTestId('identity').textContent(), /ie-cork/);
  assert.equal(await page.evaluate(async () => (await window.__fakeHost.getSettings()).feed_url), 'https://gnlc.example.org');
  await shot(page, 'browser-settings-connected');
  // Enter in the feed URL connects; a bad one is refused next to the field.
  await page.getByTestId('feed-url').fill('ftp://nowhere');
  await page.getByTestId('feed-url').press('Enter');
  await page.getByText(/must start with http/).first().waitFor();
  assert.deepEqual(page.errors, []);
});
