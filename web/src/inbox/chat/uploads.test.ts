import { describe, expect, it } from 'vitest';
import { attachmentFor, isUploading, readyAttachments, type Upload } from './uploads';

const upload = (key: string, over: Partial<Upload> = {}): Upload => ({ key, name: `${key}.png`, progress: 0, error: null, attachment: null, ...over });

describe('uploads', () => {
  it('an uploaded file is an image or a file by the type the server stored', () => {
    expect(attachmentFor('фото.png', { url: '/api/v1/media/1', mime: 'image/png', size: 10 })).toEqual({ type: 'image', url: '/api/v1/media/1', name: 'фото.png', mime: 'image/png', size: 10 });
    expect(attachmentFor('счёт.pdf', { url: '/api/v1/media/2', mime: 'application/pdf', size: 20 }).type).toBe('file');
  });

  it('sending waits for files on their way, not for failed ones, and takes the stored ones', () => {
    const done = upload('a', { progress: 1, attachment: attachmentFor('a.png', { url: '/m/1', mime: 'image/png', size: 1 }) });
    const failed = upload('b', { error: 'Файл слишком большой.' });
    const going = upload('c', { progress: 0.4 });
    expect(isUploading([done, failed])).toBe(false);
    expect(isUploading([done, going])).toBe(true);
    expect(readyAttachments([done, failed, going]).map((a) => a.url)).toEqual(['/m/1']);
  });
});
