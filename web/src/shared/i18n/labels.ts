// Human names for the bot's keys (intents, slots, handoff reasons), with a readable fallback for keys
// the app has no translation for (a workflow may define its own).
type T = (key: string, options?: Record<string, unknown>) => string;
type Exists = (key: string) => boolean;

/** `order_number` → «order number»: the key itself, readable. */
export function humanizeKey(key: string): string {
  return key.replace(/[_\s]+/g, ' ').trim();
}

function label(t: T, exists: Exists, group: string, key: string): string {
  const k = `${group}.${key}`;
  return key && exists(k) ? t(k) : humanizeKey(key);
}

export const intentLabel = (t: T, exists: Exists, key: string) => label(t, exists, 'intent', key);
export const slotLabel = (t: T, exists: Exists, key: string) => label(t, exists, 'slot', key);
export const reasonLabel = (t: T, exists: Exists, key: string) => label(t, exists, 'handoff.reason', key);
