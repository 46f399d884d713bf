// Files attached in the composer, each uploaded at once (POST /api/v1/media) and sent with the
// next message as an attachment.
import type { Attachment } from '../../shared/api/types';

export interface Upload {
  key: string;
  name: string;
  /** 0…1 of the bytes sent. */
  progress: number;
  error: string | null;
  /** Set once the server has stored the file. */
  attachment: Attachment | null;
}

/** The attachment of an uploaded file: an image when the server says so, else a file. */
export function attachmentFor(name: string, stored: { url: string; mime: string; size: number }): Attachment {
  return { type: stored.mime.startsWith('image/') ? 'image' : 'file', url: stored.url, name, mime: stored.mime, size: stored.size };
}

export function readyAttachments(uploads: readonly Upload[]): Attachment[] {
  return uploads.flatMap((u) => (u.attachment ? [u.attachment] : []));
}

/** Whether a file is still on its way (sending waits for it; a failed one does not hold it up). */
export function isUploading(uploads: readonly Upload[]): boolean {
  return uploads.some((u) => !u.attachment && !u.error);
}
