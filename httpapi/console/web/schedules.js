// Schedules: the time profiles, and an editor with a weekly grid (hour by
// hour), the calendar rules as a form, and a preview of when the saved
// profile opens (GET /time-profiles/{id}/windows, as the engine decides).
import { h, field, select, status, say, showErrors, busy, confirmDialog, table } from './ui.js';
import { api, session, restoreDraft } from './api.js';

// Grid rows run Monday first; the API counts 0 = Sunday.
const DAYS = [[1, 'Monday'], [2, 'Tuesday'], [3, 'Wednesday'], [4, 'Thursday'], [5, 'Friday'], [6, 'Saturday'], [0, 'Sunday']];
const SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const hh = n => String(n).padStart(2, '0') + ':00';

export async function render(main, params) {
  if (params[0]) return editor(main, params[0]);
  const r = await api('GET', '/time-profiles?limit=500');
  main.append(h('div', { class: 'toolbar' }, h('h1', { class: 'grow' }, 'Schedules'),
    session.canPeople ? h('a', { class: 'button', role: 'button', href: '#/schedules/new' }, 'New time profile') : null),
  h('p', { class: 'muted' }, 'A time profile says when a person, a card or a door schedule may open. Times are the controller\'s local time.'),
  table('Time profiles', ['Name', 'When', 'Dates'], r.items.map(p => h('tr', {},
    h('td', {}, h('a', { href: '#/schedules/' + p.id }, p.name || 'Profile ' + p.id)),
    h('td', {}, summary(p)),
    h('td', {}, [p.date_from, p.date_to].filter(Boolean).join(' – ') || 'always')))));
  if (!r.items.length) main.append(h('p', { class: 'muted' }, 'No time profiles yet.'));
}

export function summary(p) {
  return (p.intervals || []).map(iv => (iv.repeat ? iv.repeat + 'ly ' : '') +
    (iv.days?.length ? iv.days.map(d => SHORT[d]).join(' ') + ' ' : '') + iv.start + '–' + iv.end).join('; ') || 'never';
}

// onGrid: a weekly interval the hour grid can show exactly.
const onGrid = iv => !iv.repeat && /:00$/.test(iv.start) && /:00$/.test(iv.end) && iv.days?.length &&
  !iv.month_days && !iv.months && !iv.day_type && !iv.nth;

async function editor(main, which) {
  const isNew = which === 'new';
  const ro = !session.canPeople;
  const p = isNew ? { name: '', intervals: [], holidays: [] } : await api('GET', '/time-profiles/' + which);
  const msg = status();
  const form = h('form', { 'data-draft': 'profile', novalidate: true });
  main.append(h('p', {}, h('a', { href: '#/schedules' }, '← Schedules')), h('h1', {}, isNew ? 'New time profile' : p.name || 'Profile ' + p.id), form);

  form.append(h('div', { class: 'grid' },
    field('Name', { name: 'name', value: p.name || '', readonly: ro, required: true }),
    field('First date', { name: 'date_from', type: 'date', value: p.date_from || '', readonly: ro }, 'Empty: no start.'),
    field('Last date', { name: 'date_to', type: 'date', value: p.date_to || '', readonly: ro }, 'Empty: no end.')));

  // The weekly grid: a checkbox per day and hour.
  const open = new Set();
  for (const iv of p.intervals.filter(onGrid)) {
    const a = parseInt(iv.start), b = iv.end === '24:00' ? 24 : parseInt(iv.end);
    for (const d of iv.days) for (let x = a; x < b; x++) open.add(d * 24 + x);
  }
  const grid = h('table', { class: 'week' },
    h('caption', {}, 'Weekly schedule'),
    h('thead', {}, h('tr', {}, h('td'), Array.from({ length: 24 }, (_, x) => h('th', { scope: 'col', title: hh(x) }, String(x))))),
    h('tbody', {}, DAYS.map(([d, name]) => h('tr', {}, h('th', { scope: 'row' }, name),
      Array.from({ length: 24 }, (_, x) => h('td', {}, h('input', { type: 'checkbox', name: `g${d}-${x}`, 'aria-label': `${name} ${hh(x)}`,
        checked: open.has(d * 24 + x), disabled: ro })))))));
  // Dragging across cells paints them like the first one pressed.
  let paint = null;
  grid.addEventListener('pointerdown', e => { if (e.target.type === 'checkbox' && !ro) paint = !e.target.checked; });
  grid.addEventListener('pointerover', e => { if (paint !== null && e.target.type === 'checkbox' && e.buttons) e.target.checked = paint; });
  grid.addEventListener('pointerup', () => { paint = null; });
  // Arrow keys move between hours and days, as in a spreadsheet.
  grid.addEventListener('keydown', e => {
    const mv = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
    const m = /^g(\d)-(\d+)$/.exec(e.target.name || '');
    if (!mv || !m) return;
    const row = DAYS.findIndex(([d]) => d === Number(m[1])) + mv[0], x = Number(m[2]) + mv[1];
    if (row < 0 || row > 6 || x < 0 || x > 23) return;
    e.preventDefault();
    form.elements.namedItem(`g${DAYS[row][0]}-${x}`).focus();
  });
  grid.addEventListener('pointerleave', () => { paint = null; });
  form.append(h('section', { class: 'panel', 'aria-labelledby': 'wk-h' }, h('h2', { id: 'wk-h' }, 'Week'),
    h('p', { class: 'hint' }, 'Tick the hours the profile opens. Drag to paint several; arrow keys move, Space toggles the focused hour.'),
    h('div', { class: 'table-wrap' }, grid),
    ro ? null : h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => setRange(1, 5, 8, 18) }, 'Weekdays 08–18'),
      h('button', { type: 'button', class: 'secondary', onclick: () => setRange(0, 6, 0, 24) }, 'Always'),
      h('button', { type: 'button', class: 'secondary', onclick: () => setRange(0, 6, 0, 0) }, 'Clear week'))));
  function setRange(d0, d1, a, b) {
    for (const [d] of DAYS) for (let x = 0; x < 24; x++) {
      const el = form.elements.namedItem(`g${d}-${x}`);
      el.checked = d >= d0 && d <= d1 && x >= a && x < b;
    }
  }

  // Calendar rules: every interval the grid cannot show.
  const rules = h('div');
  const rulesSec = h('section', { class: 'panel', 'aria-labelledby': 'cal-h' }, h('h2', { id: 'cal-h' }, 'Calendar rules'),
    h('p', { class: 'hint' }, 'Windows on days a rule picks: every n days or weeks from an anchor date, days of the month (-1 is the last), the nth weekday of a month, weekdays or weekends, some months only.'),
    rules);
  let n = 0;
  const addRule = iv => rules.append(ruleRow(iv, ++n, ro));
  for (const iv of p.intervals.filter(x => !onGrid(x))) addRule(iv);
  if (!ro) rulesSec.append(h('button', { type: 'button', class: 'secondary', onclick: () => addRule({ start: '08:00', end: '18:00', repeat: 'week', days: [] }) }, 'Add rule'));
  form.append(rulesSec,
    field('Holidays (closed)', h('textarea', { name: 'holidays', rows: '2', readonly: ro, placeholder: '2026-12-25' }, (p.holidays || []).join('\n')),
      'One date a line (YYYY-MM-DD): the profile stays shut on these days.'));
  const actions = h('div', { class: 'actions' });
  if (!ro) {
    actions.append(h('button', { type: 'submit' }, 'Save'));
    if (!isNew) actions.append(h('button', { type: 'button', class: 'danger', onclick: del }, 'Delete'));
  }
  form.append(actions, msg);
  restoreDraft(form);

  const preview = h('section', { class: 'card', 'aria-labelledby': 'pv-h' }, h('h2', { id: 'pv-h' }, 'Preview'));
  main.append(preview);
  if (!isNew) await showPreview(preview, p.id);
  else preview.append(h('p', { class: 'muted' }, 'Save the profile to see when it opens.'));

  form.addEventListener('submit', async e => {
    e.preventDefault();
    await busy(form.querySelector('[type=submit]'), async () => {
      const body = {
        name: form.elements.namedItem('name').value.trim(),
        intervals: [...gridIntervals(form), ...[...rules.children].map(readRule)],
        date_from: form.elements.namedItem('date_from').value || null,
        date_to: form.elements.namedItem('date_to').value || null,
        holidays: form.elements.namedItem('holidays').value.split(/[\s,]+/).filter(Boolean),
      };
      try {
        if (isNew) {
          if (!body.date_from) delete body.date_from;
          if (!body.date_to) delete body.date_to;
          const r = await api('POST', '/time-profiles', body);
          location.hash = '#/schedules/' + r.id;
        } else {
          await api('PUT', '/time-profiles/' + p.id, body);
          say(msg, 'Saved.');
          await showPreview(preview, p.id);
        }
      } catch (ex) { if (ex.status !== 401) showErrors(form, ex, msg); }
    });
  });

  async function del() {
    if (!await confirmDialog('Delete ' + (p.name || 'this profile') + '?', 'People, cards and doors that use it lose it.', 'Delete time profile')) return;
    try { await api('DELETE', '/time-profiles/' + p.id); location.hash = '#/schedules'; } catch (ex) { say(msg, ex.message, 'bad'); }
  }
}

// gridIntervals turns the ticked hours into intervals: each day's runs,
// days with the same run sharing one interval.
function gridIntervals(form) {
  const byRun = new Map();
  for (const [d] of DAYS) {
    let x = 0;
    while (x < 24) {
      if (!form.elements.namedItem(`g${d}-${x}`).checked) { x++; continue; }
      const a = x;
      while (x < 24 && form.elements.namedItem(`g${d}-${x}`).checked) x++;
      const key = hh(a) + '-' + (x === 24 ? '24:00' : hh(x));
      if (!byRun.has(key)) byRun.set(key, []);
      byRun.get(key).push(d);
    }
  }
  return [...byRun].map(([k, days]) => { const [start, end] = k.split('-'); return { days: days.sort(), start, end }; });
}

function ruleRow(iv, n, ro) {
  const list = a => (a || []).join(', ');
  const row = h('fieldset', { class: 'panel rule' }, h('legend', {}, 'Rule ' + n),
    h('div', { class: 'grid' },
      field('Start', { name: `r${n}-start`, type: 'time', value: iv.start, readonly: ro, 'data-k': 'start' }),
      field('End', { name: `r${n}-end`, value: iv.end, readonly: ro, 'data-k': 'end', pattern: '[0-2][0-9]:[0-5][0-9]' }, 'HH:MM; 24:00 is midnight at the end of the day.'),
      field('Repeat', select({ name: `r${n}-repeat`, disabled: ro, 'data-k': 'repeat' },
        [['', 'Weekly'], ['day', 'Every n days'], ['week', 'Every n weeks'], ['month', 'Monthly'], ['year', 'Yearly']], iv.repeat || '')),
      field('Every', { name: `r${n}-every`, type: 'number', min: '0', value: iv.every || '', readonly: ro, 'data-k': 'every' }),
      field('Anchor date', { name: `r${n}-anchor`, type: 'date', value: iv.anchor || '', readonly: ro, 'data-k': 'anchor' }),
      field('Days of the week', { name: `r${n}-days`, value: (iv.days || []).map(d => SHORT[d].toLowerCase()).join(', '), readonly: ro, 'data-k': 'days' }, 'mon, tue, … (empty: any)'),
      field('Days of the month', { name: `r${n}-month_days`, value: list(iv.month_days), readonly: ro, 'data-k': 'month_days' }, '1, 15, -1'),
      field('Nth weekday', { name: `r${n}-nth`, type: 'number', min: '-1', max: '5', value: iv.nth || '', readonly: ro, 'data-k': 'nth' }, '1–5, -1 for the last'),
      field('Day type', select({ name: `r${n}-day_type`, disabled: ro, 'data-k': 'day_type' }, [['', 'Any day'], ['weekday', 'Weekdays'], ['weekend', 'Weekends']], iv.day_type || '')),
      field('Months', { name: `r${n}-months`, value: list(iv.months), readonly: ro, 'data-k': 'months' }, '1–12 or jan, feb, …')));
  if (!ro) row.append(h('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Remove rule ' + n));
  return row;
}

function readRule(row) {
  const iv = {};
  for (const el of row.querySelectorAll('[data-k]')) {
    const k = el.dataset.k, v = el.value.trim();
    if (!v) continue;
    if (k === 'every' || k === 'nth') iv[k] = Number(v);
    else if (k === 'days') iv.days = v.split(/[\s,]+/).filter(Boolean);
    else if (k === 'month_days') iv.month_days = v.split(/[\s,]+/).filter(Boolean).map(Number);
    else if (k === 'months') iv.months = v.split(/[\s,]+/).filter(Boolean).map(x => /^\d+$/.test(x) ? Number(x) : x);
    else iv[k] = v;
  }
  return iv;
}

async function showPreview(sec, id) {
  const r = await api('GET', `/time-profiles/${id}/windows`);
  const byDay = new Map();
  // Shown in the controller's zone, where the profile is evaluated.
  const zoned = o => { try { return new Intl.DateTimeFormat(undefined, { ...o, timeZone: r.zone }); } catch { return new Intl.DateTimeFormat(undefined, o); } };
  const fmtDay = zoned({ weekday: 'long', month: 'short', day: 'numeric' });
  const fmtT = zoned({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  for (const w of r.windows) {
    const k = fmtDay.format(new Date(w.start));
    if (!byDay.has(k)) byDay.set(k, []);
    byDay.get(k).push(fmtT.format(new Date(w.start)) + '–' + fmtT.format(new Date(w.end)));
  }
  sec.replaceChildren(h('h2', { id: 'pv-h' }, 'Preview'),
    h('p', { class: 'muted' }, `When it opens from ${r.from} to ${r.to} (${r.zone}), as the door engine decides it.`),
    byDay.size ? h('ul', { class: 'plain' }, [...byDay].map(([d, ws]) => h('li', {}, h('span', {}, d), h('span', { class: 'mono' }, ws.join(', ')))))
      : h('p', {}, 'Closed all of this week.'));
}
