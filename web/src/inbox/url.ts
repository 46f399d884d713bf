// The messenger's URL: the tab, the open conversation and the search live here, so a reload
// restores them, the browser's back and forward move between them, and a link opens them.
//
//   /inbox/{bot|mine|all}                  a tab's list
//   /inbox/{tab}/{conversationId}          with a conversation open (on a phone: the chat alone)
//   …?q={text}&by={bot|operator}           with a search typed, and its lead filter
//
// The server answers any such page path with the app (crates/frontline-api/src/web.rs); none is
// under /api, /metrics or /healthz. Parse, don't validate: the rest of the inbox only ever sees an
// `InboxUrl`, and anything else is redirected to the nearest URL that is one.
import type { Role } from '../shared/api/types';
import type { Tab } from './list/conversations';

export type SearchLead = 'bot' | 'operator';

export interface InboxUrl {
  tab: Tab;
  conversationId: number | null;
  /** The search box as typed (not trimmed); empty when not searching. */
  q: string;
  by: SearchLead | null;
}

/** The route the router matches (react-router's pattern syntax). */
export const INBOX_ROUTE = '/inbox/:tab/:conversationId?';
export const DEFAULT_TAB: Tab = 'mine';

const TABS: readonly Tab[] = ['bot', 'mine', 'all'];

/** The tabs an operator has: «Все» is for admins. */
export function tabsFor(role: Role | undefined): Tab[] {
  return role === 'admin' ? ['bot', 'mine', 'all'] : ['bot', 'mine'];
}

export function inboxPath(u: Pick<InboxUrl, 'tab'> & Partial<InboxUrl>): string {
  let path = `/inbox/${u.tab}`;
  if (u.conversationId != null) path += `/${u.conversationId}`;
  const search = new URLSearchParams();
  if (u.q) search.set('q', u.q);
  if (u.by && u.q) search.set('by', u.by);
  const s = search.toString();
  return s ? `${path}?${s}` : path;
}

export const DEFAULT_INBOX_PATH = inboxPath({ tab: DEFAULT_TAB });

export type ResolvedUrl = { kind: 'ok'; url: InboxUrl } | { kind: 'redirect'; to: string };

function parseId(s: string | undefined): number | null | undefined {
  if (s === undefined) return null;
  if (!/^[1-9]\d{0,15}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The inbox state a URL names for this operator, or where to send them instead: an unknown tab or
 * «Все» for a non-admin goes to «Мои», a malformed conversation id to the tab's list, an unknown
 * filter is dropped. The search text is taken as it is.
 */
export function resolveInboxUrl(
  params: { tab?: string; conversationId?: string },
  search: string | URLSearchParams,
  role: Role | undefined,
): ResolvedUrl {
  const sp = typeof search === 'string' ? new URLSearchParams(search) : search;
  const q = sp.get('q') ?? '';
  const rawBy = sp.get('by');
  const by: SearchLead | null = rawBy === 'bot' || rawBy === 'operator' ? rawBy : null;
  const knownTab = TABS.find((t) => t === params.tab);
  const tab: Tab = knownTab && tabsFor(role).includes(knownTab) ? knownTab : DEFAULT_TAB;
  const id = parseId(params.conversationId);
  const url: InboxUrl = { tab, conversationId: id ?? null, q, by };
  const clean = tab === knownTab && id !== undefined && (rawBy === null || (by !== null && q !== ''));
  return clean ? { kind: 'ok', url } : { kind: 'redirect', to: inboxPath(url) };
}

/**
 * Where a conversation opens from outside the list (a system notification): in the inbox as it is
 * now, or in the default tab when the app is elsewhere (an admin page) or not on a valid inbox URL.
 */
export function conversationPathFrom(current: ResolvedUrl | null, conversationId: number): string {
  const base: InboxUrl = current?.kind === 'ok' ? current.url : { tab: DEFAULT_TAB, conversationId: null, q: '', by: null };
  return inboxPath({ ...base, conversationId });
}
