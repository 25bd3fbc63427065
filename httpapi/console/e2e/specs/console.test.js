// The console's main path, as a building manager walks it, against a
// doord on the simulated board: sign in (the forced password change of
// the first login), create a person, learn a card by a simulated swipe,
// see the grant arrive live in the events view, open a door remotely,
// change a mode, import a CSV with a bad row and see it reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDoord, api, login } from '../lib/doord.js';
import { launch, desktop } from '../lib/browser.js';

const NEW_PW = 'e2e console password 1';
let d, browser, page, token;

before(async () => {
  d = await startDoord();
  browser = await launch();
  const ctx = await browser.newContext({ viewport: desktop });
  page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

const expectVisible = async (loc, msg) => {
  await loc.waitFor({ state: 'visible' }).catch(e => { throw new Error(msg + ': ' + e.message); });
};

// waitText waits until loc's text matches re.
async function waitText(loc, re, msg) {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.textContent().catch(() => '')) || '';
    if (re.test(last)) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`${msg}: ${re} never matched; last text: ${last.slice(0, 400)}`);
}

test('sign in, with the first login\'s password change', async () => {
  await page.goto(d.url + '/');
  await expectVisible(page.getByRole('heading', { name: 'Sign in to doord' }), 'login page');
  await page.getByRole('textbox', { name: 'Username' }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectVisible(page.getByRole('alert').filter({ hasText: /\S/ }), 'a wrong password is reported');
  await page.getByLabel('Password', { exact: true }).fill(d.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectVisible(page.getByRole('heading', { name: 'Choose a new password' }), 'forced password change');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PW);
  await page.getByLabel('Repeat new password').fill(NEW_PW);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expectVisible(page.getByRole('navigation', { name: 'Main' }), 'the console after sign-in');
  await page.waitForURL(/#\/people$/);
  token = await login(d.url, 'admin', NEW_PW);
});

test('create a person and learn a card by a swipe', async () => {
  await page.getByRole('button', { name: 'New person' }).click();
  await page.waitForURL(/#\/people\/new$/);
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Ada Lovelace');
  await page.getByRole('textbox', { name: 'Email' }).fill('ada@example.org');
  await page.getByRole('button', { name: 'Save' }).click();
  await expectVisible(page.getByRole('heading', { name: 'Cards and PINs' }), 'the saved person\'s page');
  assert.match(page.url(), /#\/people\/[0-9a-f-]{36}$/);

  await page.getByLabel('Reader').selectOption('1');
  await page.getByRole('button', { name: 'Learn card' }).click();
  await waitText(page.getByRole('status').filter({ hasText: 'Present a card' }), /Present a card at 1/, 'learning says where to present');
  // The learn request waits in doord now; swipe at reader 1.
  await api(d.url, token, 'POST', '/sim/readers/1/card', { facility: 123, card: 4567 });
  const card = page.getByRole('textbox', { name: 'Card number' });
  await page.waitForFunction(el => el.value === '8065495', await card.elementHandle());
  await page.getByRole('button', { name: 'Add card' }).click();
  await expectVisible(page.getByRole('cell', { name: /8065495/ }).first(), 'the card listed');
});

test('the grant appears live in the events view', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
  const log = page.getByRole('log', { name: 'Live events' });
  await expectVisible(log, 'the live log');
  // The live badge says the stream is up before the swipe.
  await expectVisible(page.getByText('live', { exact: true }), 'the stream is live');
  await api(d.url, token, 'POST', '/sim/readers/1/card', { facility: 123, card: 4567 });
  await waitText(log.getByRole('listitem').first(), /granted[\s\S]*Ada Lovelace/i, 'the grant, live, with the person');
});

test('open a door remotely and change its mode', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Doors' }).click();
  const door = page.getByRole('article').filter({ has: page.getByRole('heading', { name: '2', exact: true }) });
  await expectVisible(door, 'door 2');
  const state = door.locator('.state'); // the live state line (aria-live)
  await waitText(state, /\bLocked\b/, 'door 2 starts locked');
  await door.getByRole('button', { name: 'Open now' }).click();
  await expectVisible(door.getByRole('status').filter({ hasText: 'Opened 2.' }), 'the open is confirmed');
  await waitText(state, /\bUnlocked\b/, 'door 2 unlocked by the remote open, shown live');
  const outs = await api(d.url, token, 'GET', '/sim/outputs');
  const relay = outs.outputs.find(o => o.output === '2.relay');
  assert.ok(relay.transitions.some(t => t.active), 'door 2\'s relay went active');
  await door.getByLabel('Mode', { exact: true }).selectOption('locked_down');
  await door.getByRole('button', { name: 'Apply mode' }).click();
  await expectVisible(door.getByRole('status').filter({ hasText: 'Mode set to Locked down.' }), 'the mode change is confirmed');
  const d2 = await api(d.url, token, 'GET', '/doors/2');
  assert.equal(d2.mode, 'locked_down');
});

test('import a CSV with a bad row and see it reported', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await expectVisible(page.getByRole('heading', { name: 'Import' }), 'the import section');
  const csv = 'ext_id,name,locks,email\nimp-1,Grace Hopper,both,grace@example.org\nimp-2,Bad Row,sideways,bad@example.org\nimp-3,Alan Turing,1,alan@example.org\n';
  await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import' }).click();
  const report = page.getByRole('table', { name: 'Import report' });
  await expectVisible(report, 'the import report');
  const rows = await report.getByRole('row').allTextContents();
  assert.ok(rows.some(r => /3/.test(r) && /locks/.test(r)), 'the bad row (line 3, locks) is reported: ' + JSON.stringify(rows));
  assert.equal(rows.length, 2, 'only the bad row is reported (and the header): ' + JSON.stringify(rows));
  const found = await api(d.url, token, 'GET', '/users?q=grace');
  assert.equal(found.items.length, 0, 'a refused file writes nothing');
});

test('a sign-out the server does not confirm is not pretended', async () => {
  const pageToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem('doord.session')).token);
  await page.route('**/api/v1/session', route => route.request().method() === 'DELETE' ? route.abort('connectionrefused') : route.continue());
  await page.getByRole('button', { name: 'Sign out' }).click();
  const dlg = page.getByRole('dialog', { name: 'The sign-out was not confirmed' });
  await expectVisible(dlg, 'the unconfirmed sign-out is said');
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await expectVisible(page.getByRole('navigation', { name: 'Main' }), 'still signed in after Cancel');
  const still = await fetch(d.url + '/api/v1/session', { headers: { Authorization: 'Bearer ' + pageToken } });
  assert.equal(still.status, 200, 'the session is still valid on doord');
  await page.unroute('**/api/v1/session');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expectVisible(page.getByRole('heading', { name: 'Sign in to doord' }), 'the login page after the sign-out');
  const ended = await fetch(d.url + '/api/v1/session', { headers: { Authorization: 'Bearer ' + pageToken } });
  assert.equal(ended.status, 401, 'the session ended on doord');
});
