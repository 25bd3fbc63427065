// Your account, for every role: change your own password, turn two-factor
// sign-in (TOTP) on or off. Each change proves your current password.
import { h, field, status, say, showErrors, busy } from './ui.js';
import { api, start, session } from './api.js';

export async function accountSection() {
  const me = await api('GET', '/operators/me');
  const msg = status();
  const sec = h('section', { class: 'card', 'aria-labelledby': 'acct-h' }, h('h2', { id: 'acct-h' }, 'Your account'));

  const pw = h('form', { novalidate: true },
    h('h3', {}, 'Change your password'),
    field('Current password', { name: 'current_password', type: 'password', autocomplete: 'current-password' }),
    field('New password', { name: 'new_password', type: 'password', autocomplete: 'new-password', minlength: '12' }, 'At least 12 characters.'),
    field('Repeat new password', { name: 'repeat', type: 'password', autocomplete: 'new-password' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Change password')));
  pw.addEventListener('submit', async e => {
    e.preventDefault();
    const v = n => pw.elements.namedItem(n).value;
    if (v('new_password') !== v('repeat')) { say(msg, 'The two new passwords differ.', 'bad'); return; }
    await busy(pw.querySelector('[type=submit]'), async () => {
      try {
        // Every other session of yours ends; this one goes on with the new token.
        start(await api('POST', '/operators/me/password', { current_password: v('current_password'), new_password: v('new_password') }));
        pw.reset();
        say(msg, 'Password changed. Your other sessions have ended.');
      } catch (ex) { if (ex.status !== 401) showErrors(pw, ex, msg); }
    });
  });

  const mfa = h('div');
  const showMFA = op => {
    const cur = h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password' });
    const form = h('form', { novalidate: true }, h('h3', {}, 'Two-factor sign-in'),
      h('p', {}, op.mfa ? 'On: signing in asks for a code from your authenticator app.' : 'Off: your password alone signs you in.'),
      field('Current password', cur),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, op.mfa ? 'Turn off two-factor sign-in' : 'Set up two-factor sign-in')));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      await busy(form.querySelector('[type=submit]'), async () => {
        try {
          if (op.mfa) {
            showMFA(await api('DELETE', `/operators/${op.id}/totp`, { current_password: cur.value }));
            say(msg, 'Two-factor sign-in is off.');
          } else {
            enrol(await api('POST', `/operators/${op.id}/totp`, { current_password: cur.value }), op);
          }
        } catch (ex) { if (ex.status !== 401) showErrors(form, ex, msg); }
      });
    });
    mfa.replaceChildren(form);
  };
  const enrol = (r, op) => {
    const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '8' });
    const form = h('form', { novalidate: true }, h('h3', {}, 'Two-factor sign-in'),
      h('p', {}, 'Add this key to your authenticator app (time-based, 6 digits), then type the code it shows.'),
      h('p', {}, 'Key: ', h('code', { class: 'mono' }, r.secret.replace(/(.{4})/g, '$1 ').trim())),
      h('p', { class: 'hint' }, 'Or open this link on the phone with the app: ', h('a', { href: r.otpauth_url }, 'otpauth link')),
      field('Code from the app', code),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Confirm')));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      await busy(form.querySelector('[type=submit]'), async () => {
        try {
          showMFA(await api('POST', `/operators/${op.id}/totp/confirm`, { code: code.value.trim() }));
          say(msg, 'Two-factor sign-in is on.');
        } catch (ex) { if (ex.status !== 401) showErrors(form, ex, msg); }
      });
    });
    mfa.replaceChildren(form);
    code.focus();
  };
  showMFA(me);
  sec.append(h('p', { class: 'muted' }, `Signed in as ${me.username} (${session.role}).`), h('div', { class: 'cols' }, pw, mfa), msg);
  return sec;
}
