// The «Быстрые ответы» section's calls. The list is what the server shows this admin: the shared
// bank and the admin's own replies (other operators' personal ones are theirs alone).
import { api, unwrap } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { QuickReply } from '../../shared/api/types';

export type QuickReplyRequest = components['schemas']['QuickReplyRequest'];

export const listQuickReplies = () => unwrap<QuickReply[]>(api.GET('/api/v1/quick-replies'));
export const createQuickReply = (body: QuickReplyRequest) => unwrap(api.POST('/api/v1/quick-replies', { body }));
export const updateQuickReply = (id: number, body: QuickReplyRequest) => unwrap(api.PUT('/api/v1/quick-replies/{id}', { params: { path: { id } }, body }));
export const deleteQuickReply = (id: number) => unwrap(api.DELETE('/api/v1/quick-replies/{id}', { params: { path: { id } } }));
