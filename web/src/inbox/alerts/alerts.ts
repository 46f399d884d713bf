// Which realtime events ring: a customer writing into one of my operator-led chats, and every
// handoff to operators, in visible accounts.
import type { Conversation, StreamEvent } from '../../shared/api/types';

export interface AlertContext {
  operatorId: number;
  hiddenAccounts: ReadonlySet<number>;
  conversations: ReadonlyMap<number, Conversation>;
}

export type Alert = { kind: 'message' | 'handoff'; conversationId: number };

function mine(c: Conversation, operatorId: number): boolean {
  return c.lead === 'operator' && (c.assignee == null || c.assignee.id === operatorId);
}

export function alertFor(e: StreamEvent, ctx: AlertContext): Alert | null {
  if (e.type === 'message.created') {
    const m = e.message;
    if (!m || m.direction !== 'in' || m.author.kind !== 'customer') return null;
    const c = ctx.conversations.get(e.conversation_id);
    if (!c || ctx.hiddenAccounts.has(c.account.id) || !mine(c, ctx.operatorId)) return null;
    return { kind: 'message', conversationId: e.conversation_id };
  }
  if (e.type === 'conversation.lead_changed') {
    const h = e.handoff;
    const c = e.conversation;
    if (!h || h.to !== 'operator') return null;
    // My own take-over (by the button or by replying) needs no alarm.
    if (h.actor.kind === 'operator' && h.actor.operator_id === ctx.operatorId) return null;
    if (c && ctx.hiddenAccounts.has(c.account.id)) return null;
    if (c?.assignee && c.assignee.id !== ctx.operatorId) return null;
    return { kind: 'handoff', conversationId: e.conversation_id };
  }
  return null;
}
