// One person: the form (new and edit), their access (doors, time
// profiles, apartments, validity), their cards and PINs with learning a
// card at a reader, and their recent history.
import { h, field, select, status, say, showErrors, busy, confirmDialog, toLocalInput, fromLocalInput, when, table, badge } from './ui.js';
import { api, session, restoreDraft } from './api.js';
import { displayName } from './people.js';

const TEXT = [['name', 'Name'], ['first_name', 'First name'], ['last_name', 'Last name'], ['email', 'Email', 'email'],
  ['phone', 'Phone', 'tel'], ['ext_id', 'External id']];

export async function render(main, params) {
  const isNew = !params[0];
  const id = isNew ? '' : decodeURIComponent(params[0]);
  const ro = !session.canPeople;
  const [user, profiles, apartments] = await Promise.all([
    isNew ? Promise.resolve({ state: 'active', locks: 'both', time_profiles: [], apartments: [] }) : api('GET', '/users/' + encodeURIComponent(id)),
    api('GET', '/time-profiles?limit=200').then(r => r.items).catch(() => []),
    api('GET', '/apartments?limit=200').then(r => r.items).catch(() => []),
  ]);
  if (isNew && !session.canPeople) {
    main.append(h('h1', {}, 'New person'), h('p', {}, 'Your role may not add people.'));
    return;
  }
  const msg = status();
  main.append(h('p', {}, h('a', { href: '#/people' }, '← People')),
    h('h1', {}, isNew ? 'New person' : displayName(user)));

  const enrol = isNew ? JSON.parse(sessionStorage.getItem('doord.enrol') || 'null') : null;
  if (enrol) {
    main.append(h('p', { class: 'msg' }, `Enrolling the unknown card ${enrol.credential || ''} seen at ${enrol.reader || 'a reader'}. `,
      'Save the person, then present the card again with “Learn card” (the event log keeps only the last digits of an unknown card).'));
  }

  const form = h('form', { 'data-draft': 'person', novalidate: true });
  const grid = h('div', { class: 'grid' });
  for (const [name, label, type] of TEXT) {
    grid.append(field(label, { name, type: type || 'text', value: user[name] || '', readonly: ro, autocomplete: 'off',
      required: name === 'name' && isNew ? true : null }));
  }
  grid.append(
    field('Valid from', { name: 'valid_from', type: 'datetime-local', value: toLocalInput(user.valid_from), readonly: ro }),
    field('Valid to', { name: 'valid_to', type: 'datetime-local', value: toLocalInput(user.valid_to), readonly: ro }),
    field('State', select({ name: 'state', disabled: ro || user.state === 'archived' }, ['active', 'disabled', 'archived'], user.state),
      'Disabled: no door opens until enabled again. Archived is final.'),
    field('Doors', select({ name: 'locks', disabled: ro }, [['both', 'Both locks'], ['1', 'Lock 1 only'], ['2', 'Lock 2 only'], ['none', 'No door here']], user.locks)));
  form.append(grid);

  const checks = (legend, name, items, chosen, label) => h('fieldset', { class: 'panel' },
    h('legend', {}, legend),
    items.length ? items.map(it => h('label', { class: 'inline' },
      h('input', { type: 'checkbox', name: name + ':' + it.id, checked: (chosen || []).includes(it.id), disabled: ro }), ' ', label(it), ' '))
      : h('span', { class: 'muted' }, 'None defined.'));
  form.append(h('div', { class: 'cols' },
    checks('Time profiles (none: at any time)', 'tp', profiles, user.time_profiles, p => p.name || 'Profile ' + p.id),
    checks('Apartments', 'apt', apartments, user.apartments, a => a.name || 'Apartment ' + a.id)));
  form.append(h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'security', checked: user.security, disabled: ro }),
    ' Security staff (may pass locked-down doors)'));
  form.append(field('Notes', h('textarea', { name: 'notes', rows: '2', readonly: ro }, user.notes || '')));

  const actions = h('div', { class: 'actions' });
  if (!ro) {
    actions.append(h('button', { type: 'submit' }, 'Save'));
    if (!isNew) actions.append(h('button', { type: 'button', class: 'danger', onclick: del }, 'Delete'));
  }
  form.append(actions, msg);
  main.append(form);
  restoreDraft(form);

  form.addEventListener('submit', async e => {
    e.preventDefault();
    const btn = form.querySelector('button[type=submit]');
    await busy(btn, async () => {
      const body = collect(form, profiles, apartments, isNew);
      try {
        if (isNew) {
          const u = await api('POST', '/users', body);
          sessionStorage.removeItem('doord.enrol');
          sessionStorage.setItem('doord.flash', 'Saved ' + displayName(u) + '.');
          if (enrol?.reader) sessionStorage.setItem('doord.learnAt', enrol.reader);
          location.hash = '#/people/' + encodeURIComponent(u.id);
        } else {
          const u = await api('PATCH', '/users/' + encodeURIComponent(id), body);
          main.querySelector('h1').textContent = displayName(u);
          say(msg, 'Saved.');
        }
      } catch (ex) {
        if (ex.status !== 401) showErrors(form, ex, msg);
      }
    });
  });

  async function del() {
    if (!await confirmDialog('Delete ' + displayName(user) + '?', 'Their cards and PINs are deleted too. This cannot be undone.', 'Delete person')) return;
    try {
      await api('DELETE', '/users/' + encodeURIComponent(id));
      sessionStorage.setItem('doord.flash', 'Deleted ' + displayName(user) + '.');
      location.hash = '#/people';
    } catch (ex) { say(msg, ex.message, 'bad'); }
  }

  const flash = sessionStorage.getItem('doord.flash');
  if (flash) { sessionStorage.removeItem('doord.flash'); say(msg, flash); }
  if (isNew) return;

  const stopLearn = await credentials(main, user);
  await history(main, user);
  return stopLearn;
}

// collect is the form as a user body: every field on a new person; on an
// edit a merge patch in which an emptied time clears it.
function collect(form, profiles, apartments, isNew) {
  const v = n => form.elements.namedItem(n);
  const body = {};
  for (const [name] of TEXT) {
    const x = v(name).value.trim();
    if (x || !isNew) body[name] = x;
  }
  if (!body.ext_id) delete body.ext_id; // generated when absent; never cleared
  for (const n of ['valid_from', 'valid_to']) {
    const t = fromLocalInput(v(n).value);
    if (t || !isNew) body[n] = t;
  }
  if (!v('state').disabled) body.state = v('state').value;
  body.locks = v('locks').value;
  body.time_profiles = profiles.filter(p => v('tp:' + p.id).checked).map(p => p.id);
  body.apartments = apartments.filter(a => v('apt:' + a.id).checked).map(a => a.id);
  body.security = v('security').checked;
  body.notes = v('notes').value;
  return body;
}

async function credentials(main, user) {
  const uid = encodeURIComponent(user.id);
  const ro = !session.canPeople || user.state === 'archived';
  const msg = status();
  const list = h('div');
  const sec = h('section', { class: 'card', 'aria-labelledby': 'creds-h' }, h('h2', { id: 'creds-h' }, 'Cards and PINs'), list);
  main.append(sec);
  let stop = () => {};

  async function refresh() {
    const r = await api('GET', `/users/${uid}/credentials`);
    list.replaceChildren(r.items.length ? table('Credentials', ['Type', 'Value', 'Passes', 'Valid to', ''],
      r.items.map(c => h('tr', {},
        h('td', {}, c.type),
        h('td', { class: 'mono' }, c.type === 'pin' ? '••••' : c.value, c.format ? h('span', { class: 'muted' }, ' ' + c.format) : ''),
        h('td', {}, c.max_passes ? `${c.passes_left ?? 0} of ${c.max_passes} left ` : 'unlimited',
          c.max_passes && !ro ? h('button', { type: 'button', class: 'link', onclick: e => busy(e.target, async () => {
            await api('POST', `/credentials/${c.id}/passes/reset`); say(msg, 'Passes reset.'); await refresh();
          }), 'aria-label': 'Reset passes of ' + c.type + ' ' + (c.type === 'pin' ? '' : c.value) }, 'Reset passes') : ''),
        h('td', {}, when(c.valid_to)),
        h('td', {}, ro ? '' : h('button', { type: 'button', class: 'secondary', 'aria-label': 'Remove',
          title: 'Remove this ' + c.type, onclick: async e => {
            if (!await confirmDialog('Remove this ' + c.type + '?', 'It stops opening doors at once.', 'Remove')) return;
            await busy(e.target, async () => {
              try { await api('DELETE', `/credentials/${c.id}`); say(msg, 'Removed.'); await refresh(); } catch (ex) { say(msg, ex.message, 'bad'); }
            });
          } }, 'Remove')))), {}, true) : h('p', { class: 'muted' }, 'No cards or PINs yet.'));
  }
  await refresh();
  if (ro) { sec.append(msg); return stop; }

  // Learning: the reader list is every door's readers.
  const doors = await api('GET', '/doors').then(r => r.items).catch(() => []);
  const readers = doors.flatMap(d => d.readers.map(rd => [rd, `${rd} (${d.id})`]));
  const reader = select({ name: 'reader' }, readers.length ? readers : [['', 'No readers']], sessionStorage.getItem('doord.learnAt') || '');
  sessionStorage.removeItem('doord.learnAt');
  const card = h('input', { name: 'card', autocomplete: 'off', spellcheck: 'false', inputmode: 'text' });
  const passes = h('input', { name: 'max_passes', type: 'number', min: '0', max: '99999', value: '0' });
  const learnBtn = h('button', { type: 'button', class: 'secondary', disabled: !readers.length }, 'Learn card');
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');
  const cardForm = h('form', { 'data-draft': 'card', novalidate: true },
    h('h3', {}, 'Add a card'),
    h('div', { class: 'row' },
      h('div', {}, field('Reader', reader)), learnBtn, cancel),
    h('div', { class: 'row' },
      h('div', { class: 'grow' }, field('Card number', card, 'Decimal, 0x hex, or facility/card as the reader sent it.')),
      h('div', {}, field('Passes (0: unlimited)', passes)),
      h('button', { type: 'submit' }, 'Add card')));
  const pin = h('input', { name: 'pin', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', 'data-secret': '', maxlength: '12' });
  const pinForm = h('form', { novalidate: true },
    h('h3', {}, 'Add a PIN'),
    h('div', { class: 'row' }, h('div', {}, field('PIN', pin, '4 to 12 digits. It is never shown again.')), h('button', { type: 'submit' }, 'Add PIN')));
  sec.append(h('div', { class: 'cols' }, cardForm, pinForm), msg);
  restoreDraft(cardForm);

  let ctl = null;
  stop = () => ctl && ctl.abort();
  learnBtn.addEventListener('click', async () => {
    const rd = reader.value;
    ctl = new AbortController();
    learnBtn.disabled = true; cancel.hidden = false;
    say(msg, `Present a card at ${rd}…`);
    try {
      const r = await api('POST', `/readers/${encodeURIComponent(rd)}/learn`, { timeout_ms: 20000 }, { signal: ctl.signal });
      if (r && r.value) {
        card.value = r.value;
        say(msg, `Card read at ${rd}: ${r.value}${r.format ? ' (' + r.format + ')' : ''}. Press “Add card” to give it to ${displayName(user)}.`);
        card.focus();
      } else {
        say(msg, `No card was presented at ${rd} in time.`, 'bad');
      }
    } catch (ex) {
      if (ex.name === 'AbortError') say(msg, 'Learning cancelled.');
      else say(msg, ex.message, 'bad');
    } finally {
      learnBtn.disabled = false; cancel.hidden = true; ctl = null;
    }
  });
  cancel.addEventListener('click', () => ctl && ctl.abort());

  cardForm.addEventListener('submit', async e => {
    e.preventDefault();
    if (!card.value.trim()) { say(msg, 'Enter or learn a card number first.', 'bad'); card.focus(); return; }
    await busy(e.submitter || cardForm.querySelector('[type=submit]'), async () => {
      try {
        const body = { type: 'card', value: card.value.trim() };
        if (Number(passes.value) > 0) body.max_passes = Number(passes.value);
        await api('POST', `/users/${uid}/credentials`, body);
        card.value = ''; passes.value = '0';
        say(msg, 'Card added.');
        await refresh();
      } catch (ex) { if (ex.status !== 401) showErrors(cardForm, { ...ex, errors: ex.errors.map(x => x.field === 'value' ? { ...x, field: 'card' } : x), message: ex.message }, msg); }
    });
  });
  pinForm.addEventListener('submit', async e => {
    e.preventDefault();
    if (!/^\d{4,12}$/.test(pin.value)) { say(msg, 'A PIN is 4 to 12 digits.', 'bad'); pin.focus(); return; }
    await busy(pinForm.querySelector('[type=submit]'), async () => {
      try {
        await api('POST', `/users/${uid}/credentials`, { type: 'pin', value: pin.value });
        say(msg, 'PIN added.');
        await refresh();
      } catch (ex) { say(msg, ex.message, 'bad'); } finally { pin.value = ''; }
    });
  });
  return stop;
}

async function history(main, user) {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'Recent history'));
  main.append(sec);
  try {
    const r = await api('GET', '/events?limit=20&user=' + encodeURIComponent(user.id));
    const items = r.items.slice().reverse();
    sec.append(items.length ? table('Recent events of ' + displayName(user), ['When', 'Event', 'Door', 'Credential'],
      items.map(ev => h('tr', {},
        h('td', {}, when(ev.at)),
        h('td', {}, badge(ev.type.replace(/_/g, ' '), ev.type === 'access_granted' ? 'ok' : ev.type === 'access_denied' ? 'bad' : ''),
          ev.reason ? ' ' + ev.reason.replace(/_/g, ' ') : ''),
        h('td', {}, ev.door || ''),
        h('td', { class: 'mono' }, ev.credential || ''))), {}, true) : h('p', { class: 'muted' }, 'No events for this person yet.'));
  } catch (ex) {
    sec.append(h('p', { class: 'muted' }, 'History unavailable: ' + ex.message));
  }
}
