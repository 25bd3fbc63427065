// Doors: each door's live state (from /doors, refreshed when the event
// stream says something happened at a door), open now, its mode, and the
// time profile that unlocks it on a schedule.
import { h, select, status, say, busy, when } from './ui.js';
import { api, session, stream } from './api.js';
import { ALARMS, doorEvents } from './live.js';

const MODES = [['normal', 'Normal'], ['unlocked', 'Unlocked'], ['locked_down', 'Locked down'], ['disabled', 'Disabled']];

export async function render(main) {
  const live = h('span', { class: 'badge' }, 'connecting…');
  const wrap = h('div', { class: 'doors' });
  main.append(h('div', { class: 'toolbar' }, h('h1', { class: 'grow' }, 'Doors'), live), wrap);
  let profiles = [];
  const [r] = await Promise.all([
    api('GET', '/doors'),
    api('GET', '/time-profiles?limit=200').then(x => { profiles = x.items; }).catch(() => {}),
  ]);
  const cards = new Map();
  for (const d of r.items) {
    const c = doorCard(d, profiles);
    cards.set(d.id, c);
    wrap.append(c.el);
  }
  if (!r.items.length) wrap.append(h('p', { class: 'muted' }, 'No doors are configured (no board).'));

  let pending = false;
  const refresh = async () => {
    if (pending) return;
    pending = true;
    // Events come in bursts (opened, closed…): one read covers a burst.
    await new Promise(res => setTimeout(res, 150));
    pending = false;
    try {
      const now = await api('GET', '/doors');
      for (const d of now.items) cards.get(d.id)?.update(d);
    } catch { /* the next event tries again */ }
  };
  const stop = stream('', ev => { if (doorEvents.has(ev.type) || ev.door) refresh(); },
    up => { live.textContent = up ? 'live' : 'reconnecting…'; live.className = 'badge ' + (up ? 'ok' : 'warn'); if (up) refresh(); });
  return stop;
}

function doorCard(d, profiles) {
  const id = 'door-' + d.id.replace(/[^a-zA-Z0-9_-]/g, '_');
  const state = h('p', { class: 'state', 'aria-live': 'polite' });
  const details = h('dl');
  const msg = status();
  const el = h('article', { class: 'door', 'aria-labelledby': id + '-h' },
    h('header', {}, h('h2', { id: id + '-h' }, d.id), h('span', { class: 'muted' }, 'lock ' + d.lock)), state, details);
  if (session.canDoors) {
    const mode = select({ name: 'mode', id: id + '-mode' }, MODES, d.set_mode || d.mode);
    const sched = select({ name: 'unlock_schedule', id: id + '-sched' },
      [['', 'No scheduled unlock'], ...profiles.map(p => [p.id, p.name || 'Profile ' + p.id])], d.unlock_schedule ?? '');
    const first = h('input', { type: 'checkbox', name: 'first_card_unlock', checked: d.first_card_unlock });
    el.append(
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: e => busy(e.target, async () => {
          try { update(await api('POST', `/doors/${encodeURIComponent(d.id)}/open`)); say(msg, 'Opened ' + d.id + '.'); } catch (ex) { say(msg, ex.message, 'bad'); }
        }) }, 'Open now')),
      h('div', { class: 'row' },
        h('div', { class: 'grow' }, h('label', { for: id + '-mode' }, 'Mode'), mode),
        h('button', { type: 'button', class: 'secondary', onclick: e => busy(e.target, async () => {
          try { update(await api('PUT', `/doors/${encodeURIComponent(d.id)}/mode`, { mode: mode.value })); say(msg, 'Mode set to ' + mode.selectedOptions[0].text + '.'); } catch (ex) { say(msg, ex.message, 'bad'); }
        }) }, 'Apply mode')),
      h('div', { class: 'row' },
        h('div', { class: 'grow' }, h('label', { for: id + '-sched' }, 'Scheduled unlock'), sched),
        h('button', { type: 'button', class: 'secondary', onclick: e => busy(e.target, async () => {
          try {
            update(await api('PATCH', `/doors/${encodeURIComponent(d.id)}`, { unlock_schedule: sched.value ? Number(sched.value) : null, first_card_unlock: first.checked }));
            say(msg, sched.value ? 'Unlocks on ' + sched.selectedOptions[0].text + (first.checked ? ' once the first card is granted.' : '.') : 'No scheduled unlock.');
          } catch (ex) { say(msg, ex.message, 'bad'); }
        }) }, 'Apply schedule')),
      h('label', { class: 'inline' }, first, ' Scheduled unlock waits for the first granted card'));
  }
  el.append(msg);

  function update(x) {
    if (!x) return;
    d = x;
    const alarms = (x.alarms || []).map(a => ALARMS[a] || a);
    const words = [x.open ? 'Open' : 'Closed', x.locked ? 'Locked' : 'Unlocked', ...alarms];
    state.textContent = words.join(' · ');
    state.className = 'state' + (alarms.length ? ' alarm' : !x.locked ? ' unlocked' : '');
    const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    const prof = profiles.find(p => p.id === x.unlock_schedule);
    details.replaceChildren(
      ...row('Mode', (MODES.find(m => m[0] === x.mode) || [, x.mode])[1] + (x.set_mode && x.set_mode !== x.mode ? ` (set: ${x.set_mode})` : '')),
      ...row('Readers', x.readers.join(', ') || '—'),
      ...row('Scheduled unlock', x.unlock_schedule ? (prof?.name || 'profile ' + x.unlock_schedule) + (x.first_card_unlock ? ', after the first card' : '') + (x.schedule_open ? ' — open now' : '') : 'none'),
      ...(x.mode_by ? row('Mode set by', x.mode_by + (x.mode_at ? ', ' + when(x.mode_at) : '')) : []),
      ...(x.emergency_until ? row('Emergency open until', when(x.emergency_until)) : []));
  }
  update(d);
  return { el, update };
}
