import { describe, expect, it } from 'vitest';
import { clearDraft, loadDraft, saveDraft } from './drafts';

describe('drafts', () => {
  it('persist per conversation and clear', () => {
    saveDraft(1, 'черновик');
    saveDraft(2, 'другой');
    expect(loadDraft(1)).toBe('черновик');
    expect(loadDraft(2)).toBe('другой');
    saveDraft(1, '   ');
    expect(loadDraft(1)).toBe('');
    clearDraft(2);
    expect(loadDraft(2)).toBe('');
    expect(loadDraft(3)).toBe('');
  });
});
