// Event vocabulary shared by the doors and events pages.
export const ALARMS = {
  door_forced: 'Forced open', door_held_prealarm: 'Held open (soon an alarm)', door_held: 'Held open',
  tamper: 'Tamper', relay_fault: 'Relay fault', door_fault: 'Door fault',
};

// doorEvents are the event types after which a door's state may differ.
export const doorEvents = new Set(['access_granted', 'remote_open', 'rex', 'mode_changed', 'door_opened', 'door_closed',
  'door_forced', 'door_forced_cleared', 'door_held_prealarm', 'door_held', 'door_held_cleared', 'tamper', 'tamper_cleared',
  'relay_fault', 'relay_fault_cleared', 'door_fault', 'emergency_open', 'emergency_closed']);

export function kindOf(type) {
  if (type === 'access_granted' || type === 'remote_open' || type === 'rex') return 'granted';
  if (type === 'access_denied' || type === 'lockout' || type === 'duress') return 'denied';
  if (ALARMS[type] || type === 'unknown_card_burst' || type === 'store_damaged' || type === 'events_dropped') return 'alarm';
  return '';
}

export function words(s) { return (s || '').replace(/_/g, ' '); }
