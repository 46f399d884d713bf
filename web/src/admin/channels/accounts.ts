// How the section reads the accounts and their Avito state: one list per kind, the webhook's
// health as a verdict, an import's counts in words, and where an API account's messages go in.
import type { Account } from '../../shared/api/types';
import type { WebhookHealth } from './api';

export type AccountKind = Account['kind'];

/** The accounts of each kind, in the order they were connected. */
export function accountsByKind(accounts: readonly Account[]): Record<AccountKind, Account[]> {
  const out: Record<AccountKind, Account[]> = { avito: [], api: [], voice: [] };
  for (const a of [...accounts].sort((x, y) => x.id - y.id)) out[a.kind].push(a);
  return out;
}

export type WebhookVerdict =
  /** Avito delivers this account's messages to us. */
  | { state: 'subscribed'; pending: number; others: string[] }
  /** Avito does not know our URL: messages arrive only through the poller, late. */
  | { state: 'missing'; pending: number; others: string[] };

/**
 * The verdict on a webhook: ours subscribed or not, plus the other URLs Avito also delivers to (an
 * old server, another integration), which the admin may want to know about.
 */
export function webhookVerdict(h: WebhookHealth, accountId: number): WebhookVerdict {
  const ours = `/api/v1/webhooks/avito/${accountId}/`;
  const others = h.subscriptions.map((s) => s.url).filter((u) => !u.includes(ours));
  return { state: h.subscribed ? 'subscribed' : 'missing', pending: h.pending_deliveries, others };
}

/** The inbound endpoint an API account's system posts customers' messages to. */
export function inboundEndpoint(origin: string, accountId: number): string {
  return `${origin.replace(/\/+$/, '')}/api/v1/inbound/${accountId}/messages`;
}

/** Replace one account in the list (after a change), keeping the order. */
export function replaceAccount(list: readonly Account[], next: Account): Account[] {
  return list.some((a) => a.id === next.id) ? list.map((a) => (a.id === next.id ? next : a)) : [...list, next];
}
