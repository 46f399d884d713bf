// The «Быстрые ответы» section's calls. The list is what the server shows this admin: the shared
// bank and the admin's own replies; with `operator`, another operator's own (read-only here).
import { api, unwrap } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { QuickReply } from '../../shared/api/types';

export type QuickReplyRequest = components['schemas']['QuickReplyRequest'];

/** Without `operator`: the shared bank and one's own; with it (admins): that operator's instead. */
export const listQuickReplies = (operator?: number) =>
  unwrap<QuickReply[]>(api.GET('/api/v1/quick-replies', { params: { query: operator === undefined ? {} : { operator } } }));
export const createQuickReply = (body: QuickReplyRequest) => unwrap(api.POST('/api/v1/quick-replies', { body }));
export const updateQuickReply = (id: number, body: QuickReplyRequest) => unwrap(api.PUT('/api/v1/quick-replies/{id}', { params: { path: { id } }, body }));
export const deleteQuickReply = (id: number) => unwrap(api.DELETE('/api/v1/quick-replies/{id}', { params: { path: { id } } }));
