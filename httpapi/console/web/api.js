// The session and every call to doord's native API (/api/v1). The token
// lives in sessionStorage (this tab only, gone when it closes); any 401
// ends the session: the open form is kept as a draft (never a password or
// PIN) and the login page comes back, then returns to the same route.

const KEY = 'doord.session', DRAFT = 'doord.draft';

export const session = {
  token: '', expires: 0, operator: null,
  get role() { return this.operator?.role || ''; },
  get canPeople() { return this.role === 'admin' || this.role === 'operator'; },
  get canDoors() { return this.role === 'admin' || this.role === 'operator'; },
  get isAdmin() { return this.role === 'admin'; },
};

let onExpired = () => {};
let timer;

export function setExpiryHandler(fn) { onExpired = fn; }

export function restore() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.token && s.expires > Date.now()) { start(s); return true; }
  } catch { /* a damaged entry is no session */ }
  return false;
}

export function start({ token, expires_at, expires, operator }) {
  session.token = token;
  session.expires = expires || Date.parse(expires_at);
  session.operator = operator;
  sessionStorage.setItem(KEY, JSON.stringify({ token, expires: session.expires, operator }));
  clearTimeout(timer);
  // The server ends the session at expires_at; the console says so at the
  // same moment instead of waiting for the next request to fail.
  const left = session.expires - Date.now();
  if (left < 2 ** 31) timer = setTimeout(() => expire(), Math.max(0, left));
}

export function clear() {
  session.token = ''; session.operator = null; session.expires = 0;
  sessionStorage.removeItem(KEY);
  clearTimeout(timer);
}

function expire() {
  if (!session.token) return;
  saveDraft();
  clear();
  onExpired();
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.errors = problem?.errors || [];
    this.problem = problem || {};
  }
}

// api calls the native API: api('GET', '/users?q=x'). body is sent as JSON
// unless it is a Blob or string with opts.type. Resolves to the parsed
// JSON (null for 204), or opts.raw: the Response.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = 'Bearer ' + session.token;
  let payload;
  if (body !== undefined && body !== null) {
    if (opts.type) { headers['Content-Type'] = opts.type; payload = body; }
    else { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  }
  const url = path.startsWith('/') && !path.startsWith('/api/') && path !== '/metrics' ? '/api/v1' + path : path;
  const res = await fetch(url, { method, headers, body: payload, signal: opts.signal, cache: 'no-store' });
  if (res.status === 401 && session.token && !opts.login) {
    expire();
    throw new ApiError(401, { detail: 'Your session has ended. Sign in again.' });
  }
  if (opts.raw && res.ok) return res;
  if (res.status === 204 || res.status === 202 && !res.headers.get('Content-Type')) return null;
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = { detail: text }; } }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// download saves a file the API answers (export, backup).
export async function download(path, name) {
  const res = await api('GET', path, undefined, { raw: true });
  const { saveBlob } = await import('./ui.js');
  saveBlob(await res.blob(), name);
}

// stream follows the event stream with fetch (EventSource cannot send the
// bearer token): onEvent(event) for each, reconnecting after a drop from
// the last seen id. Returns a stop function.
export function stream(query, onEvent, onState = () => {}) {
  const ctl = new AbortController();
  let last = 0, stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + session.token };
        if (last) headers['Last-Event-ID'] = String(last);
        const res = await fetch('/api/v1/events/stream' + (query || ''), { headers, signal: ctl.signal, cache: 'no-store' });
        if (res.status === 401) { expire(); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        onState(true);
        const rd = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await rd.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i); buf = buf.slice(i + 2);
            let data = '', id = 0;
            for (const line of frame.split('\n')) {
              if (line.startsWith('data: ')) data += line.slice(6);
              else if (line.startsWith('id: ')) id = Number(line.slice(4));
            }
            if (id) last = id;
            if (data) { try { onEvent(JSON.parse(data)); } catch { /* not an event */ } }
          }
        }
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
      }
      onState(false);
      if (!stopped) await new Promise(r => setTimeout(r, 2000));
    }
  };
  run();
  return () => { stopped = true; ctl.abort(); };
}

// Drafts: what was typed in the open forms when the session ended, by
// route, restored once after the next login.
function saveDraft() {
  const forms = {};
  for (const f of document.querySelectorAll('form[data-draft]')) {
    const fields = {};
    for (const el of f.elements) {
      if (!el.name || el.type === 'password' || el.type === 'file' || el.dataset.secret !== undefined) continue;
      fields[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    }
    forms[f.dataset.draft] = fields;
  }
  sessionStorage.setItem(DRAFT, JSON.stringify({ route: location.hash, forms }));
}

export function draftRoute() {
  try { return JSON.parse(sessionStorage.getItem(DRAFT) || 'null')?.route || ''; } catch { return ''; }
}

// restoreDraft fills form from the draft kept for it on this route, once.
export function restoreDraft(form) {
  let d;
  try { d = JSON.parse(sessionStorage.getItem(DRAFT) || 'null'); } catch { return; }
  if (!d || d.route !== location.hash || !d.forms[form.dataset.draft]) return;
  const fields = d.forms[form.dataset.draft];
  delete d.forms[form.dataset.draft];
  sessionStorage.setItem(DRAFT, JSON.stringify(d));
  for (const [name, v] of Object.entries(fields)) {
    const el = form.elements.namedItem(name);
    if (!el || el.type === 'password') continue;
    if (el.type === 'checkbox') el.checked = v; else el.value = v;
  }
}

export function dropDraft() { sessionStorage.removeItem(DRAFT); }
