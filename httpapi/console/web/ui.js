// Small DOM helpers shared by every page. No framework: h() builds
// elements, and pages re-render their own part of the page.

// h builds an element: h('button', {class: 'x', onclick: f}, 'text', child).
// Attributes starting with "on" become listeners; true/false toggle boolean
// attributes; null and undefined are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
// field is a labelled control: field('Name', input) or field('Name', {name, type, …}).
export function field(label, control, hint) {
  if (!(control instanceof Node)) control = h('input', control);
  control.id ||= 'f' + (++uid);
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hid = control.id + '-hint';
    control.setAttribute('aria-describedby', hid);
    parts.push(h('small', { id: hid }, hint));
  }
  parts.push(h('span', { class: 'err', id: control.id + '-err' }));
  return h('div', { class: 'field' }, parts);
}

export function select(attrs, options, current) {
  return h('select', attrs, options.map(o => {
    const [value, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value, selected: String(value) === String(current ?? '') }, text);
  }));
}

// status is a polite live region for results of actions.
export function status() { return h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }); }
export function alertBox() { return h('div', { role: 'alert' }); }

export function say(region, text, kind = 'ok') {
  region.replaceChildren(text ? h('div', { class: 'msg ' + kind }, text) : '');
}

// showErrors marks a form's fields from a problem's errors[] and says the
// detail in region. Field names match the controls' name attributes.
export function showErrors(form, err, region) {
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const e = document.getElementById(el.id + '-err');
    if (e) e.textContent = '';
  }
  const lines = [];
  for (const fe of err.errors || []) {
    const el = form.elements.namedItem(fe.field);
    if (el && el.id) {
      el.setAttribute('aria-invalid', 'true');
      const e = document.getElementById(el.id + '-err');
      if (e) e.textContent = fe.message;
    }
    lines.push(fe.field + ': ' + fe.message);
  }
  say(region, (err.message || 'Failed') + (lines.length ? ' — ' + lines.join('; ') : ''), 'bad');
}

// busy disables a button while an action runs.
export async function busy(btn, fn) {
  btn.disabled = true;
  try { return await fn(); } finally { btn.disabled = false; }
}

// debounce calls fn at once when it has not run in the last ms (a first
// key, a paste: the answer is not held back); calls coming faster are
// folded into one, ms after the latest, so fast typing asks the server
// at most about once per ms and always for what was typed last.
export function debounce(fn, ms) {
  let t, last = -Infinity;
  return (...a) => {
    clearTimeout(t);
    const run = () => { last = performance.now(); fn(...a); };
    if (performance.now() - last >= ms) run(); else t = setTimeout(run, ms);
  };
}

// confirmDialog asks in a modal dialog; resolves true when the action
// button was pressed.
export function confirmDialog(title, text, action) {
  return new Promise(resolve => {
    const d = h('dialog', { 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title), h('p', {}, text),
      h('form', { method: 'dialog', class: 'actions' },
        h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
        h('button', { value: 'ok', class: 'danger' }, action)));
    d.addEventListener('close', () => { resolve(d.returnValue === 'ok'); d.remove(); });
    document.body.append(d);
    d.showModal();
  });
}

const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const fmtTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
export function when(iso) { return iso ? fmt.format(new Date(iso)) : ''; }
export function clock(iso) { return iso ? fmtTime.format(new Date(iso)) : ''; }

// local turns an RFC 3339 time into a datetime-local value and back.
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const p = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function fromLocalInput(v) { return v ? new Date(v).toISOString() : null; }

// table is a data table named by its caption; quiet hides the caption
// from sight (a heading above says the same) but not from assistive tech.
// Its wrapper scrolls sideways on a narrow screen, so it takes focus for
// the keyboard to scroll it.
export function table(caption, heads, rows, attrs = {}, quiet = false) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption + ' (table)' }, h('table', attrs,
    h('caption', { class: quiet ? 'visually-hidden' : null }, caption),
    h('thead', {}, h('tr', {}, heads.map(x => h('th', { scope: 'col' }, x || h('span', { class: 'visually-hidden' }, 'Actions'))))),
    h('tbody', {}, rows)));
}

export function badge(text, kind) { return h('span', { class: 'badge ' + (kind || '') }, text); }

// download fetches path with the session's token and saves it as a file
// (a link cannot send the Authorization header).
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
