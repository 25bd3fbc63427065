// Apartments: the list with their residents, a new apartment, deleting
// one. People are put in an apartment on their own page.
import { h, field, status, say, showErrors, busy, confirmDialog, table } from './ui.js';
import { api, session } from './api.js';

export async function apartmentsSection() {
  const msg = status();
  const list = h('div');
  const ro = !session.canPeople;
  async function refresh() {
    const r = await api('GET', '/apartments?limit=500');
    list.replaceChildren(r.items.length ? table('Apartments', ['Name', 'Address', 'Residents', ''], r.items.map(a => h('tr', {},
      h('td', {}, a.name || 'Apartment ' + a.id),
      h('td', {}, `building ${a.address.building}, unit ${a.address.unit}, floor ${a.address.floor}, room ${a.address.room}`),
      h('td', {}, h('a', { href: '#/people', onclick: () => sessionStorage.setItem('doord.people', JSON.stringify({ apartment: a.id })) },
        a.residents.count + (a.residents.count === 1 ? ' resident' : ' residents'))),
      h('td', {}, ro ? '' : h('button', { type: 'button', class: 'link', 'aria-label': 'Delete apartment ' + (a.name || a.id), onclick: async () => {
        if (!await confirmDialog('Delete ' + (a.name || 'this apartment') + '?', 'Its residents stay; they are no longer in it.', 'Delete apartment')) return;
        try { await api('DELETE', '/apartments/' + a.id); say(msg, 'Deleted.'); await refresh(); } catch (ex) { say(msg, ex.message, 'bad'); }
      } }, 'Delete'))))) : h('p', { class: 'muted' }, 'No apartments yet.'));
  }
  await refresh();
  const parts = [list];
  if (!ro) {
    const num = (label, name, min, max, value) => field(label, { name, type: 'number', min, max, value, required: true });
    const form = h('form', { novalidate: true, 'data-draft': 'apartment' },
      h('h3', {}, 'New apartment'),
      h('div', { class: 'grid' },
        field('Apartment name', { name: 'name', autocomplete: 'off' }),
        num('Building', 'address.building', 1, 9999, 1), num('Unit', 'address.unit', 0, 99, 0),
        num('Floor', 'address.floor', 0, 98, 0), num('Room', 'address.room', 0, 99, 0)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add apartment')));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const v = n => Number(form.elements.namedItem('address.' + n).value);
      await busy(form.querySelector('[type=submit]'), async () => {
        try {
          await api('POST', '/apartments', { name: form.elements.namedItem('name').value.trim(),
            address: { building: v('building'), unit: v('unit'), floor: v('floor'), room: v('room') } });
          say(msg, 'Apartment added.');
          form.elements.namedItem('name').value = '';
          await refresh();
        } catch (ex) { if (ex.status !== 401) showErrors(form, ex, msg); }
      });
    });
    parts.push(form);
  }
  return h('section', { class: 'card', 'aria-labelledby': 'apt-h' }, h('h2', { id: 'apt-h' }, 'Apartments'), ...parts, msg);
}
