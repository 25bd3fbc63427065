// Every page of the console, at desktop (1280x800) and phone (390x844)
// sizes: axe-core finds no serious or critical violation, and the page
// is saved as a screenshot (the README's, httpapi/console/screenshots/,
// with make screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDoord, api, login } from '../lib/doord.js';
import { launch, desktop, phone, axeProblems, screenshot } from '../lib/browser.js';

const PW = 'e2e pages password 1';
let d, browser, token, personID, profileID;

before(async () => {
  d = await startDoord({ env: { DOORD_ADMIN_PASSWORD: PW } });
  token = await login(d.url, 'admin', PW);
  // Something to show: people, a card, a schedule, a few events.
  const people = [['Ada', 'Lovelace'], ['Alan', 'Turing'], ['Grace', 'Hopper'], ['Edsger', 'Dijkstra'], ['Barbara', 'Liskov']];
  for (const [first_name, last_name] of people) {
    const u = await api(d.url, token, 'POST', '/users', { first_name, last_name, email: first_name.toLowerCase() + '@example.org', locks: 'both' });
    personID ??= u.id;
  }
  await api(d.url, token, 'POST', `/users/${personID}/credentials`, { type: 'card', value: { facility: 123, card: 4567 } });
  const tp = await api(d.url, token, 'POST', '/time-profiles', { name: 'Office hours', intervals: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }] });
  profileID = tp.id;
  await api(d.url, token, 'POST', '/sim/readers/1/card', { facility: 123, card: 4567 });
  await api(d.url, token, 'POST', '/sim/readers/2/card', { facility: 9, card: 999 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

// pages: name, hash route, what shows it has loaded.
const pages = () => [
  ['people', '#/people', p => p.getByRole('table', { name: 'People' }).getByRole('row').nth(5)],
  ['person', `#/people/${personID}`, p => p.getByRole('heading', { name: 'Cards and PINs' })],
  ['doors', '#/doors', p => p.getByRole('article').nth(1)],
  ['events', '#/events', p => p.getByRole('log', { name: 'Live events' }).getByRole('listitem').first()],
  ['schedules', '#/schedules', p => p.getByRole('table', { name: 'Time profiles' })],
  ['schedule', `#/schedules/${profileID}`, p => p.getByRole('table', { name: 'Weekly schedule' })],
  ['administration', '#/admin', p => p.getByRole('heading', { name: 'Import' })],
];

for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
  test(`every page at ${size} size: axe finds no serious or critical violation`, async () => {
    const ctx = await browser.newContext({ viewport, colorScheme: 'light' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    const problems = [];
    await page.goto(d.url + '/');
    await page.getByRole('heading', { name: 'Sign in to doord' }).waitFor();
    await page.getByRole('textbox', { name: 'Username' }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PW);
    problems.push(...(await axeProblems(page)).map(p => 'login: ' + p));
    await screenshot(page, `login-${size}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'attached' });
    for (const [name, route, loaded] of pages()) {
      await page.goto(d.url + '/' + route);
      await loaded(page).waitFor().catch(e => { throw new Error(`${name} (${route}) did not load: ${e.message}`); });
      problems.push(...(await axeProblems(page)).map(p => name + ': ' + p));
      if (name !== 'schedule') await screenshot(page, `${name}-${size}`);
    }
    await ctx.close();
    assert.deepEqual(problems, [], 'axe: serious or critical violations');
  });
}
