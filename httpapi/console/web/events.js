// Events: the latest events, then the live stream, filtered by door and
// result. An unknown card shows its masked number and "Enrol".
import { h, select, clock, when } from './ui.js';
import { api, session, stream } from './api.js';
import { kindOf, words } from './live.js';

const MAX = 300;

export async function render(main) {
  const doors = await api('GET', '/doors').then(r => r.items).catch(() => []);
  const door = select({ name: 'door', id: 'ev-door' }, [['', 'Any door'], ...doors.map(d => d.id)]);
  const result = select({ name: 'result', id: 'ev-result' }, [['', 'Any'], ['access_granted', 'Granted'], ['access_denied', 'Denied']]);
  const live = h('span', { class: 'badge' }, 'connecting…');
  // The log region holds a real list, so each event stays a list item.
  const log = h('ol');
  const region = h('div', { class: 'log', role: 'log', 'aria-label': 'Live events', tabindex: '0' }, log);
  const users = new Map(); // uuid → name, for the log's lines
  main.append(
    h('div', { class: 'toolbar' }, h('h1', { class: 'grow' }, 'Events'), live),
    h('div', { class: 'toolbar' },
      h('div', {}, h('label', { for: 'ev-door' }, 'Door'), door),
      h('div', {}, h('label', { for: 'ev-result' }, 'Result'), result)),
    region);

  let stop = () => {};
  async function start() {
    stop();
    log.replaceChildren();
    const p = new URLSearchParams();
    if (door.value) p.set('door', door.value);
    if (result.value) p.set('type', result.value);
    let after = 0;
    try {
      const r = await api('GET', '/events?limit=50&' + p);
      for (const ev of r.items) add(ev);
      after = Number(r.next_cursor) || 0;
    } catch (ex) { if (ex.status === 401) return; }
    if (after) p.set('after', after);
    stop = stream('?' + p, add, up => { live.textContent = up ? 'live' : 'reconnecting…'; live.className = 'badge ' + (up ? 'ok' : 'warn'); });
  }

  function add(ev) {
    if (log.querySelector(`[data-seq="${ev.seq}"]`)) return;
    log.prepend(line(ev, users));
    while (log.children.length > MAX) log.lastElementChild.remove();
  }
  door.addEventListener('change', start);
  result.addEventListener('change', start);
  await start();
  return () => stop();
}

function line(ev, users) {
  const kind = kindOf(ev.type);
  const who = h('span');
  if (ev.user_id) {
    const a = h('a', { href: '#/people/' + encodeURIComponent(ev.user_id) }, users.get(ev.user_id) || 'person ' + (ev.user_uid || ''));
    who.append(' · ', a);
    if (!users.has(ev.user_id)) {
      users.set(ev.user_id, '');
      api('GET', '/users/' + encodeURIComponent(ev.user_id)).then(u => {
        const n = u.name || [u.first_name, u.last_name].filter(Boolean).join(' ') || u.ext_id;
        users.set(ev.user_id, n); a.textContent = n;
      }).catch(() => {});
    } else if (users.get(ev.user_id)) a.textContent = users.get(ev.user_id);
  }
  const unknown = ev.type === 'access_denied' && ev.reason === 'unknown_credential' && ev.credential && ev.credential_type !== 'pin';
  const text = h('span', {},
    h('strong', {}, words(ev.type)), ev.reason ? ' — ' + words(ev.reason) : '',
    ev.door ? ' · ' + ev.door : '', ev.reader ? ' (' + ev.reader + ')' : '',
    ev.credential ? h('span', { class: 'mono' }, ' · ' + (ev.credential_type || 'credential') + ' ' + ev.credential) : '',
    ev.operator ? ' · by ' + ev.operator : '', ev.detail ? h('span', { class: 'muted' }, ' · ' + ev.detail) : '', who);
  const act = unknown && session.canPeople
    ? h('button', { type: 'button', class: 'secondary', 'aria-label': 'Enrol', title: 'Enrol card ' + ev.credential, onclick: () => {
      sessionStorage.setItem('doord.enrol', JSON.stringify({ reader: ev.reader, credential: ev.credential, door: ev.door }));
      location.hash = '#/people/new';
    } }, 'Enrol')
    : h('span');
  return h('li', { class: kind, 'data-seq': ev.seq }, h('time', { datetime: ev.at, title: when(ev.at) }, clock(ev.at)), text, act);
}
