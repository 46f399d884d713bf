// Quick-reply placeholders, `{customer_name}`-style, filled from the conversation.
import type { Conversation } from '../../shared/api/types';

export interface Filled {
  text: string;
  /** The first placeholder left unfilled, as [start, end) in `text`, to select it. */
  unfilled: [number, number] | null;
}

export function placeholderValues(c: Conversation | undefined, operatorName: string | undefined): Record<string, string> {
  const v: Record<string, string> = {};
  if (c?.customer.name) {
    v.customer_name = c.customer.name;
    v.name = c.customer.name;
  }
  if (c?.listing?.title) v.listing_title = c.listing.title;
  if (operatorName) v.operator_name = operatorName;
  for (const [k, val] of Object.entries(c?.slots ?? {})) if (val && !(k in v)) v[k] = val;
  return v;
}

/** Replace every `{key}` that has a value; unknown keys stay as they are and the first is reported. */
export function fillPlaceholders(template: string, values: Record<string, string>): Filled {
  let unfilled: [number, number] | null = null;
  let out = '';
  let last = 0;
  for (const m of template.matchAll(/\{([a-z_][a-z0-9_]*)\}/gi)) {
    const idx = m.index ?? 0;
    out += template.slice(last, idx);
    const key = (m[1] ?? '').toLowerCase();
    const value = values[key];
    if (value !== undefined && value !== '') {
      out += value;
    } else {
      if (!unfilled) unfilled = [out.length, out.length + m[0].length];
      out += m[0];
    }
    last = idx + m[0].length;
  }
  out += template.slice(last);
  return { text: out, unfilled };
}
