// The conversation list: one map of every known conversation, and the tabs as filtered, ordered views.
import type { Conversation, Message } from '../../shared/api/types';

export type Tab = 'bot' | 'mine' | 'all';

export type ConvMap = ReadonlyMap<number, Conversation>;

/** Last activity: the last message's time, or the creation time (the server orders by the same). */
export function activityAt(c: Conversation): string {
  return c.last_message?.at ?? c.created_at;
}

/**
 * Insert or replace conversations, keeping the newer of two versions of one row: an event rendered
 * before a REST load finished must not roll the row back.
 */
export function upsertConversations(map: ConvMap, items: readonly Conversation[]): ConvMap {
  let next: Map<number, Conversation> | null = null;
  for (const c of items) {
    const prev = (next ?? map).get(c.id);
    if (prev && prev.updated_at > c.updated_at) continue;
    if (!next) next = new Map(map);
    next.set(c.id, c);
  }
  return next ?? map;
}

/** Whether a conversation belongs in a tab for this operator. */
export function inTab(c: Conversation, tab: Tab, operatorId: number): boolean {
  switch (tab) {
    case 'bot':
      return c.lead === 'bot';
    case 'mine':
      return c.lead === 'operator' && (c.assignee == null || c.assignee.id === operatorId);
    case 'all':
      return true;
  }
}

/** Newest activity first, then the higher id (the server's order). */
export function compareByActivity(a: Conversation, b: Conversation): number {
  const x = activityAt(a);
  const y = activityAt(b);
  if (x !== y) return x < y ? 1 : -1;
  return b.id - a.id;
}

/** The rows of a tab: matching the tab, not in a hidden account, newest activity first. */
export function tabView(map: ConvMap, tab: Tab, operatorId: number, hiddenAccounts: ReadonlySet<number>): Conversation[] {
  const rows: Conversation[] = [];
  for (const c of map.values()) {
    if (hiddenAccounts.has(c.account.id)) continue;
    if (inTab(c, tab, operatorId)) rows.push(c);
  }
  return rows.sort(compareByActivity);
}

/** `account_ids` for the list and search queries: the visible accounts (empty string = none). */
export function accountIdsParam(allAccountIds: readonly number[], hidden: ReadonlySet<number>): string | undefined {
  if (hidden.size === 0) return undefined;
  return allAccountIds.filter((id) => !hidden.has(id)).join(',');
}

/** A local change before the server confirms it (e.g. the unread count reset on open). */
export function patchConversation(map: ConvMap, id: number, patch: Partial<Conversation>): ConvMap {
  const c = map.get(id);
  if (!c) return map;
  const next = new Map(map);
  next.set(id, { ...c, ...patch });
  return next;
}

/**
 * A message the stream brought, as the list row's preview and unread count: `null` when the row
 * already shows it or a newer one. Customer messages count as unread unless the chat is open.
 */
export function newMessagePatch(
  c: Conversation,
  m: Pick<Message, 'id' | 'text' | 'direction' | 'created_at'>,
  openId: number | null,
): Partial<Conversation> | null {
  if (c.last_message?.id === m.id) return null;
  if (c.last_message && c.last_message.at > m.created_at) return null;
  return {
    last_message: { id: m.id, text: m.text, direction: m.direction, at: m.created_at },
    unread_count: m.direction === 'in' && openId !== c.id ? c.unread_count + 1 : c.unread_count,
  };
}

/** How many chats with unread messages each tab holds (the count on the tab). */
export function unreadByTab(map: ConvMap, tabs: readonly Tab[], operatorId: number, hiddenAccounts: ReadonlySet<number>): Record<Tab, number> {
  const out: Record<Tab, number> = { bot: 0, mine: 0, all: 0 };
  for (const c of map.values()) {
    if (c.unread_count === 0 || hiddenAccounts.has(c.account.id)) continue;
    for (const tab of tabs) if (inTab(c, tab, operatorId)) out[tab] += 1;
  }
  return out;
}

/** The hidden accounts after the operator ticks or unticks one («Аккаунты (N)»). */
export function toggleHidden(hidden: readonly number[], accountId: number): number[] {
  return hidden.includes(accountId) ? hidden.filter((x) => x !== accountId) : [...hidden, accountId];
}
