// The names a node's templates may use, shown beside every template field: what the engine always
// knows (`text`, `intent`, `hour`, …), the bot's slots, the customer card, and the variables set by
// the nodes that can run before this one (a Context's `set`, a Search's `into`, an Action's `map`).
import type { Catalogue } from './catalogue';
import type { WfDocument } from './document';

export interface ScopeName {
  name: string;
  /** Where it comes from: `built_in`, `slot`, `customer`, or the id of the node that sets it. */
  from: string;
}

/** Nodes from which `id` can be reached (the ones that may have run before it). */
export function upstreamOf(doc: WfDocument, id: string): Set<string> {
  const into = new Map<string, string[]>();
  for (const e of doc.edges) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  const seen = new Set<string>();
  const todo = [...(into.get(id) ?? [])];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    todo.push(...(into.get(n) ?? []));
  }
  return seen;
}

/** Variables a node sets. */
export function varsSetBy(type: string, data: Record<string, unknown>): string[] {
  const keys = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
  switch (type) {
    case 'context':
      return keys(data.set);
    case 'action':
      return keys(data.map);
    case 'search': {
      const into = typeof data.into === 'string' && data.into ? data.into : 'search';
      return [`${into}.0.text`, `${into}.0.title`];
    }
    default:
      return [];
  }
}

export function scopeOf(doc: WfDocument, id: string, catalogue: Catalogue): ScopeName[] {
  const out: ScopeName[] = catalogue.names.map((name) => ({ name, from: 'built_in' }));
  for (const s of catalogue.slots) out.push({ name: `slots.${s}`, from: 'slot' });
  out.push({ name: 'customer.name', from: 'customer' }, { name: 'customer.phone', from: 'customer' });
  const up = upstreamOf(doc, id);
  const seen = new Set<string>();
  for (const n of doc.nodes) {
    if (!up.has(n.id)) continue;
    for (const v of varsSetBy(n.type, n.data)) {
      if (seen.has(v)) continue;
      seen.add(v);
      out.push({ name: `vars.${v}`, from: n.id });
    }
  }
  return out;
}

/** The placeholders a template uses (`{slots.order_number}` → `slots.order_number`). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([a-zA-Z_][\w.]*)\}/g)].map((m) => m[1]!);
}

/** Placeholders of `template` that are not in scope. */
export function unknownNames(template: string, scope: ScopeName[]): string[] {
  const known = new Set(scope.map((s) => s.name));
  return placeholders(template).filter((p) => {
    if (known.has(p)) return false;
    // `vars.search.1.text`, `customer.city`: any deeper path under a known root var is fine.
    if (p.startsWith('customer.')) return false;
    const root = p.split('.').slice(0, 2).join('.');
    return ![...known].some((k) => k.startsWith(root + '.') || k === root);
  });
}
