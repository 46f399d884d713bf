// A quick reply as the server takes it: a title up to 100 characters, a text up to 4000, shared
// with everyone or the admin's own.
import type { QuickReply } from '../../shared/api/types';
import type { FieldErrors } from '../forms/fieldErrors';
import type { QuickReplyRequest } from './api';

export const QR_FIELDS = ['title', 'text'] as const;
export type QrField = (typeof QR_FIELDS)[number];
export const TITLE_MAX = 100;
export const TEXT_MAX = 4000;

export interface QrDraft {
  title: string;
  text: string;
  shared: boolean;
}

export const emptyQrDraft = (shared = true): QrDraft => ({ title: '', text: '', shared });
export const draftOf = (q: QuickReply): QrDraft => ({ title: q.title, text: q.text, shared: q.shared });

type T = (key: string, options?: Record<string, unknown>) => string;

function required(v: string, max: number, t: T): string | undefined {
  const s = v.trim();
  if (!s) return t('adminForms.required');
  if ([...s].length > max) return t('adminForms.tooLong', { max });
  return undefined;
}

export function checkQrDraft(d: QrDraft, t: T): { request: QuickReplyRequest } | { errors: FieldErrors<QrField> } {
  const errors: FieldErrors<QrField> = {};
  const title = required(d.title, TITLE_MAX, t);
  const text = required(d.text, TEXT_MAX, t);
  if (title) errors.title = title;
  if (text) errors.text = text;
  if (Object.keys(errors).length) return { errors };
  return { request: { title: d.title.trim(), text: d.text.trim(), shared: d.shared } };
}

/** The shared bank and the admin's own replies, each by title (as the ⚡ panel lists them). */
/** `owner`'s personal replies among `replies`, by title. */
export function ownReplies(replies: readonly QuickReply[], owner: number): QuickReply[] {
  return replies.filter((q) => !q.shared && q.owner_id === owner).sort((a, b) => a.title.localeCompare(b.title, 'ru'));
}

export function splitQuickReplies(replies: readonly QuickReply[], me: number | undefined): { shared: QuickReply[]; mine: QuickReply[] } {
  const byTitle = (a: QuickReply, b: QuickReply) => a.title.localeCompare(b.title, 'ru');
  return {
    shared: replies.filter((q) => q.shared).sort(byTitle),
    mine: replies.filter((q) => !q.shared && q.owner_id === me).sort(byTitle),
  };
}
