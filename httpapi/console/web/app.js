// The console's entry: the shell (header, navigation, theme, sign out),
// the hash router and the login flow. Each page is a module with
// render(main, params) that may return a cleanup function.
import { h, confirmDialog, when } from './ui.js';
import { session, restore, clear, api, ApiError, setExpiryHandler, draftRoute, dropDraft } from './api.js';
import { loginPage } from './login.js';
import * as people from './people.js';
import * as person from './person.js';
import * as doors from './doors.js';
import * as events from './events.js';
import * as schedules from './schedules.js';
import * as admin from './admin.js';

const app = document.getElementById('app');
const NAV = [['#/people', 'People'], ['#/doors', 'Doors'], ['#/events', 'Events'], ['#/schedules', 'Schedules'], ['#/admin', 'Administration']];

// Routes: hash pattern → page and its title.
const ROUTES = [
  [/^#\/people\/new$/, person, 'New person'],
  [/^#\/people\/([^/?]+)$/, person, 'Person'],
  [/^#\/people(?:\?.*)?$/, people, 'People'],
  [/^#\/doors$/, doors, 'Doors'],
  [/^#\/events$/, events, 'Events'],
  [/^#\/schedules\/(new|\d+)$/, schedules, 'Time profile'],
  [/^#\/schedules$/, schedules, 'Schedules'],
  [/^#\/admin$/, admin, 'Administration'],
];

// Theme: follows the system until the Theme button picks one.
const dark = matchMedia('(prefers-color-scheme: dark)');
function applyTheme() {
  const t = localStorage.getItem('doord.theme') || (dark.matches ? 'dark' : 'light');
  document.documentElement.dataset.theme = t;
  return t;
}
applyTheme();
dark.addEventListener('change', applyTheme);

let cleanup = null, main = null, navLinks = [];

function shell() {
  const themeBtn = h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(applyTheme() === 'dark'),
    onclick: () => {
      const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
      localStorage.setItem('doord.theme', next);
      themeBtn.setAttribute('aria-pressed', String(applyTheme() === 'dark'));
    } }, 'Theme');
  const skip = h('a', { class: 'skip', href: '#main', onclick: e => { e.preventDefault(); main.focus(); } }, 'Skip to content');
  navLinks = NAV.map(([href, text]) => h('a', { href }, text));
  main = h('main', { id: 'main', tabindex: '-1' });
  app.replaceChildren(skip,
    h('header', { class: 'top' },
      h('a', { class: 'brand', href: '#/people' }, h('img', { src: '/console/icon.svg', alt: '' }), 'doord'),
      h('nav', { class: 'main', 'aria-label': 'Main' }, h('ul', {}, navLinks.map(a => h('li', {}, a)))),
      h('div', { class: 'who' },
        h('span', { class: 'name' }, session.operator.username + ' (' + session.role + ')'),
        themeBtn,
        h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'))),
    main);
}

// signOut ends the session on the server first. When the server does not
// confirm it (unreachable, an error), the token would stay valid until it
// expires, so the person is told so and chooses: stay signed in and try
// again, or forget it in this browser anyway. A 401 means it had ended.
async function signOut() {
  try { await api('DELETE', '/session'); } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      const forget = await confirmDialog('The sign-out was not confirmed',
        `${e.message || e}. The session stays valid on doord until ${when(new Date(session.expires).toISOString())} ` +
        'unless you sign out again once doord answers. Forget it in this browser anyway?', 'Forget it here');
      if (!forget) return;
    }
  }
  clear(); dropDraft();
  location.hash = '#/people';
  showLogin();
}

function showLogin(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  main = null;
  document.title = 'Sign in · doord';
  loginPage(app, message, () => {
    const back = draftRoute();
    if (back && back !== location.hash) location.hash = back;
    else if (!location.hash || location.hash === '#/' || location.hash === '#') location.hash = '#/people';
    shell();
    route();
  });
}

async function route() {
  if (!session.token) return showLogin();
  if (!main) shell();
  if (!location.hash || location.hash === '#' || location.hash === '#/') { location.replace('#/people'); return; }
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash;
  const section = hash.split('/')[1]?.split('?')[0];
  for (const a of navLinks) {
    if (a.getAttribute('href') === '#/' + section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const r = ROUTES.find(([re]) => re.test(hash));
  main.replaceChildren();
  if (!r) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/people' }, 'Go to People')));
    return;
  }
  const [re, page, title] = r;
  document.title = title + ' · doord';
  const params = hash.match(re).slice(1);
  try {
    cleanup = await page.render(main, params, hash) || null;
  } catch (e) {
    if (e.status === 401) return;
    main.append(h('div', { role: 'alert' }, 'Could not load this page: ' + e.message));
  }
  // A page change moves focus to the page's heading, for screen readers
  // and keyboards, unless the page put it somewhere itself.
  if (!main.contains(document.activeElement)) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
}

setExpiryHandler(() => showLogin('Your session has ended. Sign in again to go on where you were.'));
addEventListener('hashchange', route);

if (restore()) {
  // The stored token may have been ended elsewhere: ask once.
  api('GET', '/session').then(r => {
    session.operator = r.operator;
    if (r.operator.force_password_change || r.operator.credentials_expired) { clear(); showLogin(); } else route();
  }).catch(e => { if (e.status !== 401) route(); });
} else {
  showLogin();
}
