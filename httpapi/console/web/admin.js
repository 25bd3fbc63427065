// Administration: import (with a dry run reported row by row), export,
// backup, apartments (apartments.js), operators (admins), a few numbers
// at a glance, and your own account (account.js). Each section shows only
// what the caller's role may do.
import { h, field, select, status, say, showErrors, busy, confirmDialog, table, badge, when } from './ui.js';
import { api, session, download } from './api.js';
import { accountSection } from './account.js';
import { apartmentsSection } from './apartments.js';

export async function render(main) {
  main.append(h('h1', {}, 'Administration'));
  const cols = h('div', { class: 'cols' });
  main.append(cols);
  if (session.canPeople) cols.append(importSection());
  cols.append(exportSection());
  main.append(await apartmentsSection());
  if (session.isAdmin) main.append(await operatorsSection());
  main.append(await metricsSection());
  main.append(await accountSection());
}

function section(id, title, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function importSection() {
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv,.ndjson,application/x-ndjson', required: true });
  const dry = h('input', { type: 'checkbox', name: 'dry_run', checked: true });
  const mode = select({ name: 'mode' }, [['merge', 'merge (add and change by ext_id)'], ['replace', 'replace (people not in the file are removed)']], 'merge');
  const msg = status();
  const report = h('div');
  const form = h('form', { novalidate: true },
    field('CSV file', file, 'Header row: ext_id, name, first_name, last_name, email, phone, state, locks, valid_from, valid_to, tags, cards, pins. NDJSON works too.'),
    h('label', { class: 'inline' }, dry, ' Dry run'),
    h('p', { class: 'hint' }, 'A dry run checks every row and says what would change; nothing is written.'),
    field('Mode', mode),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Import')), msg, report);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { say(msg, 'Choose a file first.', 'bad'); file.focus(); return; }
    const ndjson = /\.ndjson$|\.jsonl$/i.test(f.name);
    const q = new URLSearchParams({ mode: mode.value, dry_run: dry.checked ? 'true' : 'false', format: ndjson ? 'ndjson' : 'csv' });
    await busy(form.querySelector('[type=submit]'), async () => {
      report.replaceChildren();
      try {
        const r = await api('POST', '/import?' + q, f, { type: ndjson ? 'application/x-ndjson' : 'text/csv' });
        say(msg, (r.dry_run ? 'Dry run: would add ' : 'Imported: added ') + `${r.added}, changed ${r.changed}, removed ${r.removed}, unchanged ${r.unchanged} of ${r.rows} rows.`);
        report.append(summaryList(r));
      } catch (ex) {
        if (ex.status === 401) return;
        const p = ex.problem || {};
        say(msg, ex.message || 'Import refused', 'bad');
        if (p.errors?.length) {
          report.append(table('Import report', ['Line', 'Field', 'Message'], p.errors.map(x =>
            h('tr', {}, h('td', {}, x.line), h('td', { class: 'mono' }, x.field), h('td', {}, x.message)))));
          if (p.error_count > p.errors.length) report.append(h('p', { class: 'muted' }, `The first ${p.errors.length} of ${p.error_count} are listed.`));
        }
      }
    });
  });
  return section('imp-h', 'Import', form);
}

function summaryList(r) {
  return h('ul', { class: 'plain' }, [['Rows', r.rows], ['Added', r.added], ['Changed', r.changed], ['Removed', r.removed], ['Unchanged', r.unchanged],
    ['Written', r.written ? 'yes' : 'no (dry run)']].map(([k, v]) => h('li', {}, h('span', {}, k), h('b', {}, String(v)))));
}

function exportSection() {
  const msg = status();
  const link = (text, path, name) => h('a', { href: '/api/v1' + path, class: 'button secondary', download: name, onclick: async e => {
    e.preventDefault();
    try { await download('/api/v1' + path, name); say(msg, text + ': saved ' + name + '.'); } catch (ex) { say(msg, ex.message, 'bad'); }
  } }, text);
  const stamp = new Date().toISOString().slice(0, 10);
  const parts = [section('exp-h', 'Export',
    h('p', { class: 'hint' }, 'Every person with their cards and PINs, as the import reads them (PINs only for roles that may see them).'),
    h('div', { class: 'actions' }, link('Export CSV', '/export?format=csv', `doord-people-${stamp}.csv`),
      link('Export NDJSON', '/export?format=ndjson', `doord-people-${stamp}.ndjson`)))];
  if (session.isAdmin) {
    parts.push(section('bak-h', 'Backup',
      h('p', { class: 'hint' }, 'A consistent copy of the whole store (people, cards, profiles, operators). Restore it with doord restore.'),
      h('div', { class: 'actions' }, link('Download backup', '/backup', `doord-${stamp}.db`))));
  }
  return h('div', {}, parts, msg);
}

async function operatorsSection() {
  const msg = status();
  const list = h('div');
  async function refresh() {
    const r = await api('GET', '/operators?limit=200');
    list.replaceChildren(table('Operators', ['Username', 'Role', 'State', 'Last sign-in', ''], r.items.map(o => h('tr', {},
      h('td', {}, o.username, o.id === session.operator?.id ? h('span', { class: 'muted' }, ' (you)') : ''),
      h('td', {}, o.role),
      h('td', {}, o.enabled ? badge('enabled', 'ok') : badge('disabled', 'warn'), o.locked ? [' ', badge('locked', 'bad')] : '',
        o.mfa ? [' ', badge('TOTP')] : '', o.force_password_change ? [' ', badge('must change password', 'warn')] : ''),
      h('td', {}, when(o.last_success) || 'never'),
      h('td', {}, o.id === session.operator?.id ? '' : [
        h('button', { type: 'button', class: 'link', 'aria-label': (o.enabled ? 'Disable ' : 'Enable ') + o.username, onclick: e => busy(e.target, async () => {
          try { await api('PATCH', '/operators/' + o.id, { enabled: !o.enabled }); say(msg, (o.enabled ? 'Disabled ' : 'Enabled ') + o.username + '.'); await refresh(); } catch (ex) { say(msg, ex.message, 'bad'); }
        }) }, o.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'link', 'aria-label': 'Delete ' + o.username, onclick: async e => {
          if (!await confirmDialog('Delete the operator ' + o.username + '?', 'Their sessions end at once.', 'Delete operator')) return;
          try { await api('DELETE', '/operators/' + o.id); say(msg, 'Deleted ' + o.username + '.'); await refresh(); } catch (ex) { say(msg, ex.message, 'bad'); }
        } }, 'Delete')]))), {}, true));
  }
  const form = h('form', { novalidate: true, 'data-draft': 'operator' },
    h('h3', {}, 'New operator'),
    h('div', { class: 'grid' },
      field('Username', { name: 'username', autocomplete: 'off', required: true }),
      field('Role', select({ name: 'role' }, [['viewer', 'viewer (reads only)'], ['operator', 'operator (people and doors)'], ['admin', 'admin (everything)']], 'viewer')),
      field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '12', required: true }, 'At least 12 characters; they must change it at first sign-in.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create operator')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const v = n => form.elements.namedItem(n).value;
    await busy(form.querySelector('[type=submit]'), async () => {
      try {
        await api('POST', '/operators', { username: v('username').trim(), role: v('role'), password: v('password'), force_password_change: true, enabled: true });
        say(msg, 'Created ' + v('username') + '.');
        form.reset();
        await refresh();
      } catch (ex) { if (ex.status !== 401) showErrors(form, ex, msg); }
    });
  });
  await refresh();
  return section('ops-h', 'Operators', list, form, msg);
}

async function metricsSection() {
  const box = h('div', { class: 'metrics' });
  const sec = section('met-h', 'Metrics', box);
  const m = (label, value) => h('div', { class: 'metric' }, h('span', { class: 'muted' }, label), h('b', {}, value));
  try {
    const [st, text] = await Promise.all([
      api('GET', '/status'),
      api('GET', '/metrics', undefined, { raw: true }).then(r => r.text()).catch(() => ''),
    ]);
    const x = parseMetrics(text);
    const dec = x.byLabel('doord_decisions_total', 'result');
    box.append(
      m('Status', st.status + (st.reason ? ' — ' + st.reason : '')),
      m('Version', st.version),
      m('Up for', duration(st.uptime_s)),
      m('People', fmtN(st.store.users)),
      m('Credentials', fmtN(st.store.credentials)),
      m('Store file', bytes(st.store.file_size)),
      m('Decisions', fmtN(x.sum('doord_decisions_total'))),
      m('Granted', fmtN(dec.granted)),
      m('Denied', fmtN(dec.denied)),
      m('Doors in alarm', fmtN(x.sum('doord_door_alarm'))),
      m('API requests', fmtN(x.sum('doord_http_requests_total'))),
      m('Events written', fmtN(x.sum('doord_events_written_total'))),
      m('Events dropped', fmtN(x.sum('doord_events_dropped_total'))));
  } catch (ex) {
    box.append(h('p', { class: 'muted' }, 'Metrics unavailable: ' + ex.message));
  }
  return sec;
}

// parseMetrics reads the Prometheus text format: sums by name, and by one
// label's value.
export function parseMetrics(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const mm = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (mm) rows.push({ name: mm[1], labels: mm[3] || '', value: Number(mm[4]) });
  }
  return {
    sum: name => rows.filter(r => r.name === name).reduce((a, r) => a + (isFinite(r.value) ? r.value : 0), 0),
    byLabel: (name, label) => {
      const out = {};
      for (const r of rows.filter(r => r.name === name)) {
        const l = new RegExp('(?:^|,)' + label + '="([^"]*)"').exec(r.labels);
        if (l) out[l[1]] = (out[l[1]] || 0) + r.value;
      }
      return out;
    },
  };
}

const fmtN = n => new Intl.NumberFormat().format(Math.round(n || 0));
function bytes(n) { const u = ['B', 'KB', 'MB', 'GB']; let i = 0; while (n >= 1024 && i < 3) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + ' ' + u[i]; }
function duration(s) { const d = Math.floor(s / 86400), hh = Math.floor(s % 86400 / 3600), mm = Math.floor(s % 3600 / 60); return d ? `${d} d ${hh} h` : hh ? `${hh} h ${mm} min` : `${mm} min`; }
