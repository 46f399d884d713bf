// The messages of the open chat: merged by id from pages, realtime events and our own sends.
import type { Handoff, Message } from '../../shared/api/types';

/** A message shown before the server stored it; replaced by the server's message once it answers. */
export interface PendingMessage {
  localId: string;
  text: string;
  /** How many attachments go with it. */
  attachments?: number;
  createdAt: string;
  error?: string;
}

/**
 * Merge messages by id, oldest first. A newer version of a message (status or error changed) replaces
 * the older one; which one is newer is decided by the delivery order of statuses when they differ.
 */
export function mergeMessages(current: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return current as Message[];
  const byId = new Map<number, Message>();
  for (const m of current) byId.set(m.id, m);
  for (const m of incoming) {
    const prev = byId.get(m.id);
    if (!prev || !isRegression(prev, m)) byId.set(m.id, m);
  }
  return [...byId.values()].sort(compareMessages);
}

const STATUS_RANK: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1 };

/** A stale copy (e.g. a REST page loaded before the status moved on) must not undo a later status. */
function isRegression(prev: Message, next: Message): boolean {
  if (prev.status === next.status) return false;
  // A retry moves failed back to queued: that is progress, not regression.
  if (prev.status === 'failed' && next.status === 'queued') return false;
  return (STATUS_RANK[next.status] ?? 0) < (STATUS_RANK[prev.status] ?? 0);
}

export function compareMessages(a: Message, b: Message): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id - b.id;
}

export type TimelineItem =
  | { kind: 'message'; key: string; at: string; message: Message }
  | { kind: 'handoff'; key: string; at: string; handoff: Handoff }
  | { kind: 'pending'; key: string; at: string; pending: PendingMessage };

/**
 * The history as shown: messages and handoffs interleaved by time; handoffs older than the oldest
 * loaded message wait until that page is loaded (unless everything is loaded). Pending sends last.
 */
export function buildTimeline(
  messages: readonly Message[],
  handoffs: readonly Handoff[],
  pending: readonly PendingMessage[],
  hasMore: boolean,
): TimelineItem[] {
  const first = messages[0]?.created_at;
  const items: TimelineItem[] = messages.map((m) => ({ kind: 'message', key: `m${m.id}`, at: m.created_at, message: m }));
  for (const h of handoffs) {
    if (hasMore && first !== undefined && h.created_at < first) continue;
    items.push({ kind: 'handoff', key: `h${h.id}`, at: h.created_at, handoff: h });
  }
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === 'handoff' ? 1 : b.kind === 'handoff' ? -1 : 0));
  for (const p of pending) items.push({ kind: 'pending', key: p.localId, at: p.createdAt, pending: p });
  return items;
}

/**
 * The server's copy of one of our sends arrived (realtime may beat the POST's answer): drop the
 * first pending send with the same text and attachment count, so the message is never shown twice.
 */
export function reconcilePending(pending: readonly PendingMessage[], m: Message): PendingMessage[] {
  if (m.direction !== 'out') return pending as PendingMessage[];
  const i = pending.findIndex((p) => p.text.trim() === m.text.trim() && (p.attachments ?? 0) === m.attachments.length);
  if (i < 0) return pending as PendingMessage[];
  return [...pending.slice(0, i), ...pending.slice(i + 1)];
}

/** Drop pending sends the server has answered for (its message is in the list). */
export function settlePending(pending: readonly PendingMessage[], localId: string): PendingMessage[] {
  return pending.filter((p) => p.localId !== localId);
}

/**
 * A lead change the stream brought, on the open chat: the handoff joins the history once, and the
 * briefing pinned above the composer follows it (a handoff to the bot takes it away).
 */
export function addHandoff(
  chat: { handoffs: readonly Handoff[]; briefing: Handoff | null },
  h: Handoff,
): { handoffs: Handoff[]; briefing: Handoff | null } {
  const handoffs = chat.handoffs.some((x) => x.id === h.id) ? (chat.handoffs as Handoff[]) : [...chat.handoffs, h];
  const briefing = h.to === 'operator' && h.briefing ? h : h.to === 'bot' ? null : chat.briefing;
  return { handoffs, briefing };
}
