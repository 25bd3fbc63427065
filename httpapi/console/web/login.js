// Sign in (password, then a one-time code when the operator uses TOTP)
// and the forced password change that a new or reset operator must make
// before anything else.
import { h, field } from './ui.js';
import { api, start } from './api.js';

export function loginPage(root, message, done) {
  const err = h('div', { role: 'alert' });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', maxlength: '8' });
  const codeField = field('One-time code', code, 'The 6-digit code from your authenticator app.');
  codeField.hidden = true;
  const btn = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { novalidate: true }, field('Username', user), field('Password', pass), codeField, err, btn);
  const heading = h('h1', { id: 'login-title' }, 'Sign in to doord');
  root.replaceChildren(h('main', { class: 'login', id: 'main', 'aria-labelledby': 'login-title' },
    heading, message ? h('p', { class: 'msg' }, message) : null, form));
  user.focus();

  form.addEventListener('submit', async e => {
    e.preventDefault();
    err.textContent = '';
    if (!user.value || !pass.value) { err.textContent = 'Enter your username and password.'; return; }
    const body = { username: user.value.trim(), password: pass.value };
    if (!codeField.hidden) {
      if (!code.value) { err.textContent = 'Enter the one-time code.'; code.focus(); return; }
      body.totp = code.value.trim();
    }
    btn.disabled = true;
    try {
      const r = await api('POST', '/session', body, { login: true });
      if (r.operator.force_password_change || r.operator.credentials_expired) {
        start(r);
        changePassword(root, pass.value, done);
        return;
      }
      start(r);
      done();
    } catch (ex) {
      if (ex.status === 401 && ex.errors.some(x => x.field === 'totp') && codeField.hidden) {
        codeField.hidden = false;
        err.textContent = 'This account uses two-factor sign-in: enter the one-time code.';
        code.focus();
      } else {
        err.textContent = ex.status === 401 ? 'Wrong username, password or code.' : ex.message;
        (codeField.hidden ? pass : code).select?.();
      }
    } finally {
      btn.disabled = false;
    }
  });
}

// changePassword is the forced change: the current password is the one
// just typed (kept in this closure only), the answer's token replaces the
// old one, which the change ended.
function changePassword(root, current, done) {
  const err = h('div', { role: 'alert' });
  const a = h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', minlength: '12', required: true });
  const b = h('input', { name: 'repeat', type: 'password', autocomplete: 'new-password', required: true });
  const btn = h('button', { type: 'submit' }, 'Change password');
  const form = h('form', { novalidate: true },
    field('New password', a, 'At least 12 characters, not the one you were given.'),
    field('Repeat new password', b), err, btn);
  root.replaceChildren(h('main', { class: 'login', id: 'main', 'aria-labelledby': 'pw-title' },
    h('h1', { id: 'pw-title' }, 'Choose a new password'),
    h('p', {}, 'This account must set its own password before it can do anything else.'), form));
  a.focus();
  form.addEventListener('submit', async e => {
    e.preventDefault();
    err.textContent = '';
    if (a.value !== b.value) { err.textContent = 'The two passwords differ.'; b.focus(); return; }
    if (a.value.length < 12) { err.textContent = 'The new password needs at least 12 characters.'; a.focus(); return; }
    btn.disabled = true;
    try {
      const r = await api('POST', '/operators/me/password', { current_password: current, new_password: a.value });
      current = '';
      start(r);
      done();
    } catch (ex) {
      err.textContent = ex.errors.length ? ex.errors.map(x => x.message).join('; ') : ex.message;
    } finally {
      btn.disabled = false;
    }
  });
}
