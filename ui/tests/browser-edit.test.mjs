// The Edit screen as a coordinator meets it (issue 10, points 1, 6 and 9), in a real browser
// (Chromium) against the built UI with the fake host: what is typed stays in the draft, the
// reviewer's comments reach the editor, pasted bullets, quiet new items, the sticky Submit bar,
// the preview following the field, Discard draft.
// Run after `npm run build`: `node --test tests/browser-edit.test.mjs`.
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

async function open() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${base}/#/settings`);
  return page;
}
async function connect(page, token, who) {
  await page.evaluate(() => { location.hash = '#/settings'; });
  if (await page.getByTestId('sign-out').count()) await page.getByTestId('sign-out').click();
  await page.getByTestId('token').fill(token);
  await page.getByTestId('connect').click();
  await page.getByTestId('identity').filter({ hasText: who }).waitFor();
}
/** Pastes text into the focused element as a person would (a paste event with the text). */
async function paste(page, testid, text) {
  await page.getByTestId(testid).focus();
  await page.evaluate(({ testid, text }) => {
    const el = document.querySelector(`[data-testid="${testid}"]`);
    const dt = new DataTransfer();
    dt.setData('text/plain', text);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, { testid, text });
}

test('what a coordinator types stays in the draft, and Submit waits for it', async () => {
  const page = await open();
  await connect(page, CORK, 'coordinator of Cork');
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  await page.getByTestId('fact-population-value').fill('lots');
  await page.getByTestId('fact-population-year').fill('3000');
  await page.getByText(/Draft saved/).waitFor();
  assert.equal(await page.getByTestId('submit').isDisabled(), true);
  // Away and back (the form is built again from the draft): the typed text is still there.
  await page.evaluate(() => { location.hash = '#/cities'; });
  await page.getByTestId('count').waitFor();
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  await page.getByTestId('fact-population-value').waitFor();
  assert.equal(await page.getByTestId('fact-population-value').inputValue(), 'lots');
  assert.equal(await page.getByTestId('fact-population-year').inputValue(), '3000');
  assert.match(await page.getByTestId('error-count').textContent(), /2 problems/);
  assert.equal(await page.getByTestId('submit').isDisabled(), true);
  // The host refuses to queue it too (the draft says what is pending).
  const refused = await page.evaluate(async () => { try { await window.__fakeHost.submit('ie-cork'); return null; } catch (e) { return e.code; } });
  assert.equal(refused, 'invalid_input');
  // Fixed: the draft has nothing pending, Submit is enabled.
  await page.getByTestId('fact-population-value').fill('224,004');
  await page.getByTestId('fact-population-year').fill('2022');
  await page.getByTestId('error-count').waitFor({ state: 'detached' });
  await page.getByText(/Draft saved/).waitFor();
  const typed = await page.evaluate(async () => (await window.__fakeHost.getDraft('ie-cork')).typed);
  assert.deepEqual(typed, {});
  assert.equal(await page.getByTestId('submit').isDisabled(), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the form: a new item is not an error yet, pasted bullets become items, Submit is always in reach, the preview follows, Discard asks', async () => {
  const page = await open();
  await connect(page, CORK, 'coordinator of Cork');
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  await page.getByTestId('lead').waitFor();
  // Submit is in the window without scrolling through the form (a sticky bar).
  const box = await page.getByTestId('submit').boundingBox();
  assert.ok(box && box.y + box.height <= 800, `Submit is visible at the top of the form: ${JSON.stringify(box)}`);
  // A new initiative is not an error before anything is typed, and is left out if left empty.
  const before = await page.evaluate(async () => (await window.__fakeHost.showCity('ie-cork')).portrait.highlights.length);
  await page.getByTestId('add-highlight').click();
  await page.getByTestId(`highlight-${before}`).waitFor();
  assert.equal(await page.getByTestId('error-count').count(), 0, 'no error for an untouched new item');
  assert.equal(await page.getByTestId('submit').isDisabled(), false);
  // Pasted "•" lines become list items in a section.
  await paste(page, 'section-vision', '• Learning for all\n• Learning everywhere');
  assert.match(await page.getByTestId('section-vision').inputValue(), /\n\n- Learning for all\n- Learning everywhere/);
  // … and the preview shows them as a list.
  await page.getByTestId('preview').locator('li', { hasText: 'Learning everywhere' }).waitFor();
  // The preview follows the field being edited.
  await page.getByTestId('contact-0-email').focus();
  await page.waitForFunction(() => document.querySelector('[data-testid=preview]').scrollTop > 100);
  await shot(page, 'browser-edit-form');
  // Submit leaves out the empty new item.
  await page.getByTestId('submit').click();
  await page.getByTestId('submit-summary').waitFor();
  const draft = await page.evaluate(async () => (await window.__fakeHost.getDraft('ie-cork')).portrait);
  assert.equal(draft.highlights.length, before, 'the empty new initiative is not submitted');
  // Discard asks first; Keep it keeps; Discard draft goes back to the published version.
  await page.getByTestId('discard-draft').click();
  await page.getByTestId('confirm-discard').waitFor();
  await page.getByRole('button', { name: 'Keep it' }).click();
  assert.match(await page.getByTestId('section-vision').inputValue(), /Learning everywhere/);
  await page.getByTestId('discard-draft').click();
  await page.getByRole('button', { name: 'Discard draft', exact: true }).click();
  await page.getByText('Draft discarded').waitFor();
  assert.doesNotMatch(await page.getByTestId('section-vision').inputValue(), /Learning everywhere/);
  assert.equal(await page.evaluate(async () => await window.__fakeHost.getDraft('ie-cork')), null);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the reviewer's comments reach the editor: a count on the tab, a banner, each next to its field", async () => {
  const page = await open();
  await connect(page, CORK, 'coordinator of Cork');
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  await page.getByTestId('lead').fill('Cork, a city of learning by the Lee, for the reviewer.');
  await page.getByText(/Draft saved/).waitFor();
  await page.getByTestId('submit').click();
  await page.getByTestId('confirm-submit').click();
  await page.getByTestId('submit-status').waitFor();
  await page.getByTestId('sync-now').click();
  // The reviewer sends it back with a general comment and one on the lead.
  await connect(page, STAFF, 'UIL staff');
  await page.evaluate(() => { location.hash = '#/submissions'; });
  await page.getByTestId('inbox-ie-cork').click();
  await page.getByTestId('review').waitFor();
  await page.getByLabel('Comment on Lead paragraph').fill('Say what the Lee is.');
  await page.locator('#general-comment').fill('Thank you: one small change.');
  await page.getByTestId('request-changes').click();
  await page.getByTestId('decision').waitFor();
  // Cork: the tab counts the comments; the editor shows them.
  await connect(page, CORK, 'coordinator of Cork');
  await page.getByTestId('nav-submissions').filter({ hasText: '2' }).waitFor();
  await page.evaluate(() => { location.hash = '#/submissions'; });
  await page.getByTestId('open-in-editor').click();
  const banner = page.getByTestId('review-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /UIL asked for changes/);
  assert.match(await banner.textContent(), /Thank you: one small change\./);
  const onLead = page.getByTestId('comment-lead');
  await onLead.waitFor();
  assert.match(await onLead.textContent(), /Say what the Lee is\./);
  // Next to the lead: between the lead field and the next fieldset.
  const [lead, comment] = [await page.getByTestId('lead').boundingBox(), await onLead.boundingBox()];
  assert.ok(comment.y > lead.y && comment.y - (lead.y + lead.height) < 120, `${JSON.stringify({ lead, comment })}`);
  await onLead.scrollIntoViewIfNeeded();
  await shot(page, 'browser-edit-comments');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the member record is edited in the form: people from the portrait, a location, clusters, interests', async () => {
  const page = await open();
  await connect(page, CORK, 'coordinator of Cork');
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  const record = page.getByTestId('member-record');
  await record.waitFor();
  // The bundled member record: the Lord Mayor is the quote's speaker, the focal point contact 1.
  assert.equal(await page.getByTestId('mayor').inputValue(), 'quote');
  assert.equal(await page.getByTestId('focal-point').inputValue(), 'contact:0');
  assert.match(await record.textContent(), /Learning City Award 2015, 2024/);
  // A coordinate that is not one is said next to its field and blocks Submit; "51,9" is read.
  await page.getByTestId('location-lat').fill('north');
  await page.getByTestId('error-$.location.lat').waitFor();
  assert.equal(await page.getByTestId('submit').isDisabled(), true);
  await page.getByTestId('location-lat').fill('51,9');
  await page.getByTestId('location-lon').fill('-8.47');
  // Half an interest rating is a problem; both ratings make an entry.
  await page.getByTestId('interest-literacy').selectOption('5');
  await page.getByText(/Literacy: rate both/).waitFor();
  await page.getByTestId('expertise-literacy').selectOption('2');
  await page.getByTestId('cluster-health_and_wellbeing').check();
  await page.getByTestId('cluster-equity_and_inclusion').check();
  // Removing the only contact takes the focal point with it (it named that contact).
  await page.getByRole('button', { name: 'Remove contact 1' }).click();
  assert.equal(await page.getByTestId('focal-point').inputValue(), '');
  await page.getByText(/Draft saved|All changes saved/).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="save-status"]')?.textContent?.match(/saved/i));
  assert.equal(await page.getByTestId('submit').isDisabled(), false);
  // Away and back: the draft kept every field.
  await page.evaluate(() => { location.hash = '#/cities'; });
  await page.getByTestId('count').waitFor();
  await page.evaluate(() => { location.hash = '#/edit/ie-cork'; });
  await page.getByTestId('member-record').waitFor();
  assert.equal(await page.getByTestId('location-lat').inputValue(), '51.9');
  assert.equal(await page.getByTestId('location-lon').inputValue(), '-8.47');
  assert.equal(await page.getByTestId('interest-literacy').inputValue(), '5');
  assert.equal(await page.getByTestId('expertise-literacy').inputValue(), '2');
  assert.equal(await page.getByTestId('cluster-health_and_wellbeing').isChecked(), true);
  // The submit step says what changed in words.
  await page.getByTestId('submit').click();
  const summary = page.getByTestId('submit-summary');
  await summary.waitFor();
  const said = await summary.textContent();
  assert.match(said, /Location/);
  assert.match(said, /Equity and inclusion; Health and well-being/);
  assert.match(said, /Literacy: interest 5 of 5, expertise 2 of 5/);
  await shot(page, 'edit-member-record');
  assert.deepEqual(page.errors, []);
  // Discard, so later tests see Cork as bundled.
  await page.getByRole('button', { name: 'Keep editing' }).click();
  await page.getByTestId('discard-draft').click();
  await page.getByRole('button', { name: 'Discard draft', exact: true }).click();
  await page.getByText('Draft discarded').waitFor();
  assert.equal(await page.getByTestId('focal-point').inputValue(), 'contact:0');
  await page.close();
});

test('the City screen shows the member record', async () => {
  const page = await open();
  await page.evaluate(() => { location.hash = '#/city/dk-sonderborg'; });
  const record = page.getByTestId('member-record');
  await record.waitFor();
  const text = await record.textContent();
  assert.match(text, /Member since\s*2016/);
  assert.match(text, /Learning City Award\s*2019/);
  assert.match(text, /Mayor\s*Erik Lauritzen/);
  assert.match(text, /On the map/);
  await page.close();
});

test('a removed highlight takes its translation with it; an emptied translation is left out when submitting', async () => {
  const page = await open();
  await connect(page, STAFF, 'UIL');
  await page.evaluate(() => { location.hash = '#/edit/dk-sonderborg'; });
  await page.getByTestId('translations').waitFor();
  await page.getByTestId('tr-new').selectOption('es');
  await page.getByTestId('tr-add').click();
  await page.getByTestId('tr-highlights[1]').fill('Segunda iniciativa');
  await page.getByTestId('tr-highlights[2]').fill('Tercera iniciativa');
  await until(page, async () => (await window.__fakeHost.getDraft('dk-sonderborg'))?.portrait.translations?.es?.highlights?.[2] === 'Tercera iniciativa');
  const before = await page.locator('[data-testid^=highlight-]').count();
  assert.equal(before, 3);
  // The original's second highlight goes: its Spanish goes too, the third moves up with its own.
  await page.getByRole('button', { name: /Remove initiative 2/i }).click();
  await until(page, async () => (await window.__fakeHost.getDraft('dk-sonderborg'))?.portrait.highlights.length === 2);
  await until(page, async () => {
    const d = await window.__fakeHost.getDraft('dk-sonderborg');
    return JSON.stringify(d?.portrait.translations?.es?.highlights) === JSON.stringify([null, 'Tercera iniciativa']);
  });
  assert.equal(await page.getByTestId('tr-highlights[1]').inputValue(), 'Tercera iniciativa');
  // Emptied again: the translation translates nothing, and submitting leaves it out.
  await page.getByTestId('tr-highlights[1]').fill('');
  await page.getByTestId('submit').click();
  await page.getByTestId('submit-summary').waitFor();
  assert.equal(await page.evaluate(async () => (await window.__fakeHost.getDraft('dk-sonderborg'))?.portrait.translations), undefined);
  await page.close();
});

test('staff accept many submissions at once; one decided meanwhile by another reviewer is said, the others published', async () => {
  const page = await open();
  const cities = ['fi-espoo', 'kr-suwon', 'gb-bristol'];
  await page.waitForFunction(() => !!window.__fakeHost);
  await page.evaluate(async (ids) => {
    const h = window.__fakeHost;
    for (const id of ids) {
      const p = (await h.showCity(id)).portrait;
      p.tagline = `A new tagline for ${id}`;
      await h.saveDraft(id, p, null, {});
      await h.submit(id);
    }
    await h.syncNow();
  }, cities);
  await connect(page, STAFF, 'UIL');
  await page.evaluate(() => { location.hash = '#/submissions'; });
  for (const id of cities) await page.getByTestId(`pick-${id}`).waitFor();
  await page.getByTestId('pick-all').check();
  assert.match(await page.getByTestId('picked-count').textContent(), /^3 selected$/);
  await page.getByTestId('pick-kr-suwon').uncheck();
  assert.match(await page.getByTestId('picked-count').textContent(), /^2 selected$/);
  await page.getByTestId('pick-kr-suwon').check();
  await page.getByTestId('accept-picked').click();
  await page.getByTestId('confirm-batch').waitFor();
  assert.match(await page.getByTestId('confirm-batch').textContent(), /Accept and publish 3 submissions\?/);
  await shot(page, 'batch-accept');
  // Another reviewer accepts Bristol's meanwhile.
  await page.evaluate(async () => {
    const h = window.__fakeHost;
    const s = (await h.reviewList(['submitted', 'in_review'])).find((x) => x.cityId === 'gb-bristol');
    await h.reviewDecide(s.id, { decision: 'accept', comment: null, comments: [], resolutions: {} });
  });
  await page.getByTestId('confirm-batch-0').click();
  await page.getByTestId('batch-result').waitFor();
  const result = await page.getByTestId('batch-result').textContent();
  assert.match(result, /2 accepted and published\./);
  assert.match(result, /Bristol: not accepted\. .*already accepted/);
  // Published: each city's latest version has its new tagline; nothing waits any more.
  const taglines = await page.evaluate(async (ids) => Promise.all(ids.map(async (id) => (await window.__fakeHost.showCity(id)).portrait.tagline)), cities);
  assert.deepEqual(taglines, cities.map((id) => `A new tagline for ${id}`));
  await page.getByTestId('inbox-empty').waitFor();
  assert.equal(await page.getByTestId('batch').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('staff bring in a member list: preview, refused file, send for review, accept the batch, the new cities are listed', async () => {
  const page = await open();
  await page.waitForFunction(() => !!window.__fakeHost);
  // A coordinator sees no member list in Settings.
  await connect(page, CORK, 'Cork');
  assert.equal(await page.getByTestId('member-list').count(), 0);
  await connect(page, STAFF, 'UIL');
  await page.getByTestId('member-list').waitFor();
  await page.evaluate(() => {
    const h = window.__fakeHost;
    const row = (row, city_id, name, action, changes = []) => ({ row, city_id, name, action, version: action === 'create' ? 1 : 3, changes });
    h.tables.set('/home/uil/bad.csv', {
      file: '/home/uil/bad.csv', sheet: null, sha256: 'b'.repeat(64), plan_sha256: 'b1'.repeat(32), unknown_columns: [], dry_run: true, imported: { added: [], unchanged: [], new_cities: [] },
      rows: [],
      problems: [{ path: 'bad.csv, row 4, column Population', message: '"lots" is not a figure', code: 'not_number', params: { row: 4, column: 'Population' } }],
    });
    h.tables.set('/home/uil/members.xlsx', {
      file: '/home/uil/members.xlsx', sheet: 'Cities', sha256: 'a'.repeat(64), plan_sha256: 'a1'.repeat(32), unknown_columns: ['Budget'], dry_run: true, imported: { added: [], unchanged: [], new_cities: [] },
      rows: [row(2, 'ar-rosario', 'Rosario', 'create'), row(3, 'cn-wuhan', 'Wuhan', 'create'), row(4, 'ie-cork', 'Cork', 'update', ['facts.population']), row(5, 'gb-bristol', 'Bristol', 'unchanged')],
      problems: [],
    });
    h.tableFile = '/home/uil/bad.csv';
  });
  // A file with a bad row: the problem is said by row and column, nothing can be sent.
  await page.getByTestId('table-choose').click();
  await page.getByTestId('table-problems').waitFor();
  assert.match(await page.getByTestId('table-problems').textContent(), /Row 4, column Population:\s*"lots" is not a figure/);
  assert.equal(await page.getByTestId('table-send').count(), 0);
  // The good file: a preview of each row, and the unknown column said.
  await page.evaluate(() => { window.__fakeHost.tableFile = '/home/uil/members.xlsx'; });
  await page.getByTestId('table-choose').click();
  await page.getByTestId('table-rows').waitFor();
  assert.equal(await page.getByTestId('table-problems').count(), 0);
  assert.match(await page.getByTestId('table-summary').textContent(), /4 rows: 2 new, 1 changed, 1 unchanged\./);
  assert.match(await page.getByTestId('table-unknown').textContent(), /Budget/);
  assert.match(await page.getByTestId('table-row-2').textContent(), /Rosario\s*New city/);
  assert.match(await page.getByTestId('table-row-4').textContent(), /Cork\s*Changes: Population/);
  assert.match(await page.getByTestId('table-row-5').textContent(), /Unchanged/);
  assert.match(await page.getByTestId('table-send').textContent(), /Send 3 rows for review/);
  await shot(page, 'member-list-preview');
  await page.getByTestId('table-send').click();
  await page.getByTestId('table-sent').waitFor();
  assert.match(await page.getByTestId('table-sent').textContent(), /3 rows sent for review\./);
  assert.equal(await page.getByTestId('table-preview').count(), 0);
  // Sent twice before the sync: refused, nothing added.
  await page.getByTestId('table-choose').click();
  await page.getByTestId('table-send').click();
  await page.getByTestId('table-error').waitFor();
  assert.equal(await page.evaluate(async () => (await window.__fakeHost.outbox()).length), 3);
  await page.getByTestId('table-cancel').click();
  // The sync sends them; the inbox names the proposed cities; staff accept all three.
  await page.evaluate(async () => { await window.__fakeHost.syncNow(); });
  await page.evaluate(() => { location.hash = '#/submissions'; });
  await page.getByTestId('pick-ar-rosario').waitFor();
  assert.match(await page.getByTestId('inbox-ar-rosario').textContent(), /Rosario/);
  assert.match(await page.getByTestId('inbox-cn-wuhan').textContent(), /Wuhan/);
  // A proposal opened: who sent it and that the city is new.
  await page.getByTestId('inbox-ar-rosario').click();
  await page.getByTestId('review-base').waitFor();
  assert.equal((await page.getByTestId('review-base').textContent()).trim(), 'a city new to the network, proposed by UIL staff');
  assert.match(await page.getByTestId('review-note').textContent(), /^UIL staff write: From the member list members\.xlsx, row 2$/);
  await page.getByTestId('pick-all').check();
  await page.getByTestId('accept-picked').click();
  await page.getByTestId('confirm-batch-0').click();
  await page.getByTestId('batch-result').waitFor();
  assert.match(await page.getByTestId('batch-result').textContent(), /3 accepted and published\./);
  // Published: the Cities list has the two new cities.
  await page.evaluate(() => { location.hash = '#/cities'; });
  await page.getByText('Rosario', { exact: true }).first().waitFor();
  await page.getByText('Wuhan', { exact: true }).first().waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('staff invite focal points from Settings, see the tokens without their secrets, and revoke one', async () => {
  const page = await open();
  await page.waitForFunction(() => !!window.__fakeHost);
  await connect(page, STAFF, 'UIL');
  await page.getByTestId('invitations').waitFor();
  await page.getByTestId('invite-find').fill('cork');
  await page.getByTestId('invite-ie-cork').check();
  await page.getByTestId('invite-find').fill('espoo');
  assert.equal(await page.locator('[data-testid=invite-cities] input').count(), 1, 'only Espoo is shown');
  await page.getByTestId('invite-pick-shown').click();
  assert.match(await page.getByTestId('invite-count').textContent(), /^2 cities ticked$/);
  assert.match(await page.getByTestId('invite-issue').textContent(), /Issue 2 tokens and write the invitations…/);
  await page.getByTestId('invite-issue').click();
  await page.getByTestId('invite-report').waitFor();
  const report = await page.getByTestId('invite-report').textContent();
  assert.match(report, /2 invitations written\. Written to \/home\/uil\/invitations: one letter a city, and invitations\.csv/);
  assert.match(await page.getByTestId('invited-ie-cork').textContent(), /Cork:/);
  assert.doesNotMatch(report, /gnlc_/);
  assert.match(await page.getByTestId('invite-count').textContent(), /^0 cities ticked$/);
  // The tokens: this window's cannot be revoked here; Cork's can, after a question.
  await page.getByTestId('show-tokens').click();
  await page.getByTestId('tokens').waitFor();
  const rows = page.locator('[data-testid=tokens] tbody tr');
  assert.equal(await rows.count(), 3);
  assert.match(await page.getByTestId('token-ffffffffffffffff').textContent(), /UIL staff.*Valid.*This window’s token/);
  assert.equal(await page.getByTestId('revoke-ffffffffffffffff').count(), 0);
  const cork = await page.evaluate(async () => (await window.__fakeHost.staffTokens()).find((t) => t.cityId === 'ie-cork').id);
  await page.getByTestId(`revoke-${cork}`).click();
  await page.getByTestId('confirm-revoke').waitFor();
  assert.match(await page.getByTestId('confirm-revoke').textContent(), /Revoke this token for Cork\?/);
  await page.getByTestId('confirm-revoke-0').click();
  await page.getByTestId('revoked-note').waitFor();
  assert.match(await page.getByTestId('revoked-note').textContent(), /Revoked: the token for Cork no longer works\./);
  assert.match(await page.getByTestId(`token-${cork}`).textContent(), /Revoked/);
  assert.equal(await page.getByTestId(`revoke-${cork}`).count(), 0);
  await shot(page, 'invitations');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('axe-core finds no violations in the staff cards of Settings (a member list previewed with a problem, invitations written, tokens listed)', async () => {
  const page = await open();
  await page.waitForFunction(() => !!window.__fakeHost);
  await connect(page, STAFF, 'UIL');
  await page.evaluate(() => {
    const h = window.__fakeHost;
    h.tables.set('/home/uil/list.csv', {
      file: '/home/uil/list.csv', sheet: null, sha256: 'c'.repeat(64), plan_sha256: 'c1'.repeat(32), unknown_columns: ['Budget'], dry_run: true, imported: { added: [], unchanged: [], new_cities: [] },
      rows: [{ row: 2, city_id: 'ar-rosario', name: 'Rosario', action: 'create', version: 1, changes: [] }, { row: 3, city_id: 'ie-cork', name: 'Cork', action: 'update', version: 3, changes: ['lead'] }],
      problems: [{ path: 'list.csv, row 4, column Population', message: '"lots" is not a figure', code: 'not_number', params: { row: 4, column: 'Population' } }],
    });
    h.tableFile = '/home/uil/list.csv';
  });
  await page.getByTestId('table-choose').click();
  await page.getByTestId('table-problems').waitFor();
  await page.getByTestId('invite-ie-cork').check();
  await page.getByTestId('invite-issue').click();
  await page.getByTestId('invite-report').waitFor();
  await page.getByTestId('show-tokens').click();
  await page.getByTestId('tokens').waitFor();
  await page.addScriptTag({ path: new URL('../node_modules/axe-core/axe.min.js', import.meta.url).pathname });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document.querySelector('main') ?? document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(found, []);
  await page.close();
});
