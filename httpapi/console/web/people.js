// People: search as you type (server-side; a first key or a paste asks at
// once, fast typing once it pauses; the previous request cancelled), a paged table, and the way to a new person.
import { h, table, badge, select, debounce } from './ui.js';
import { api, session } from './api.js';

const PAGE = 25;

export async function render(main) {
  const q = h('input', { type: 'search', name: 'q', 'aria-label': 'Search people', placeholder: 'Name, e-mail, external id…', autocomplete: 'off' });
  const state = select({ name: 'state', 'aria-label': 'State' }, [['', 'Any state'], 'active', 'disabled', 'archived']);
  const prev = h('button', { type: 'button', class: 'secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Next page');
  const result = h('div');
  const count = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const saved = JSON.parse(sessionStorage.getItem('doord.people') || '{}');
  q.value = saved.q || '';
  // An apartment's residents (from Administration), until "Show everyone".
  let apartment = saved.apartment || '';
  const aptNote = h('p', { class: 'muted' }, apartment ? h('span', {}, 'Residents of apartment ' + apartment + ' ', h('button', { type: 'button', class: 'link', onclick: () => { apartment = ''; aptNote.replaceChildren(); search(); } }, 'Show everyone')) : '');
  state.value = saved.state || '';

  main.append(
    h('div', { class: 'toolbar' },
      h('h1', { class: 'grow' }, 'People'),
      session.canPeople ? h('a', { class: 'button', href: '#/people/new', role: 'button' }, 'New person') : null),
    h('div', { class: 'toolbar', role: 'search' }, h('div', { class: 'grow' }, q), state),
    aptNote, count, result, h('div', { class: 'pager' }, prev, next));

  // cursors[i] is the cursor of page i; the first page has none.
  let cursors = [''], page = 0, ctl = null;

  async function load() {
    sessionStorage.setItem('doord.people', JSON.stringify({ q: q.value, state: state.value, apartment }));
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const p = new URLSearchParams({ limit: PAGE });
    if (q.value.trim()) p.set('q', q.value.trim());
    if (state.value) p.set('state', state.value);
    if (apartment) p.set('apartment', apartment);
    if (cursors[page]) p.set('cursor', cursors[page]);
    let r;
    const t0 = performance.now();
    try {
      r = await api('GET', '/users?' + p, undefined, { signal: ctl.signal });
    } catch (e) {
      if (e.name === 'AbortError') return;
      result.replaceChildren(h('div', { role: 'alert' }, e.message));
      return;
    }
    const ms = Math.round(performance.now() - t0);
    cursors[page + 1] = r.next_cursor || '';
    prev.disabled = page === 0;
    next.disabled = !r.next_cursor;
    count.textContent = r.items.length
      ? `Page ${page + 1}: ${r.items.length} ${r.items.length === 1 ? 'person' : 'people'} (${ms} ms)`
      : (q.value ? 'Nobody matches “' + q.value + '”.' : 'No people yet.');
    result.replaceChildren(table('People', ['Name', 'External id', 'E-mail', 'State', 'Valid to'],
      r.items.map(u => h('tr', {},
        h('td', {}, h('a', { href: '#/people/' + encodeURIComponent(u.id) }, displayName(u))),
        h('td', { class: 'mono' }, u.ext_id),
        h('td', {}, u.email || ''),
        h('td', {}, stateBadge(u.state)),
        h('td', {}, u.valid_to ? new Date(u.valid_to).toLocaleDateString() : ''))), {}, true));
  }

  const search = debounce(() => { cursors = ['']; page = 0; load(); }, 150);
  q.addEventListener('input', search);
  state.addEventListener('change', search);
  prev.addEventListener('click', () => { if (page > 0) { page--; load(); } });
  next.addEventListener('click', () => { if (cursors[page + 1]) { page++; load(); } });
  await load();
  q.focus();
  return () => ctl && ctl.abort();
}

export function displayName(u) {
  return u.name || [u.first_name, u.last_name].filter(Boolean).join(' ') || u.ext_id || u.id;
}

export function stateBadge(s) {
  return badge(s, s === 'active' ? 'ok' : s === 'disabled' ? 'warn' : '');
}
