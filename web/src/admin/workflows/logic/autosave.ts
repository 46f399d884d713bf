// Drafts are never lost. Every edit is written at once to this browser's storage (with the
// revision it started from) and, debounced, to the server with that revision; the local copy goes
// when the server has it. So a reload or a crash restores the edit, a second tab opens on it, a
// lost connection keeps retrying, and a save over someone else's newer revision is refused by the
// server (409) and shown as a conflict instead of overwriting either side.
import type { WfDocument } from './document';
import type { TestCase } from './testCases';

export interface DraftContent {
  name: string;
  document: WfDocument;
  tests: TestCase[];
}

export interface LocalDraft extends DraftContent {
  /** The server revision the edit started from. */
  revision: number;
  at: number;
}

export const draftKey = (workflowId: number) => `frontline.workflow-draft.${workflowId}`;

export function readLocalDraft(storage: Storage, workflowId: number): LocalDraft | null {
  try {
    const raw = storage.getItem(draftKey(workflowId));
    if (!raw) return null;
    const d = JSON.parse(raw) as LocalDraft;
    return typeof d.revision === 'number' && d.document && Array.isArray(d.document.nodes) ? d : null;
  } catch {
    return null;
  }
}

export function writeLocalDraft(storage: Storage, workflowId: number, d: LocalDraft): void {
  try {
    storage.setItem(draftKey(workflowId), JSON.stringify(d));
  } catch {
    /* storage full or disabled: the server copy is the only one */
  }
}

export function clearLocalDraft(storage: Storage, workflowId: number): void {
  try {
    storage.removeItem(draftKey(workflowId));
  } catch {
    /* ignore */
  }
}

/**
 * What to open: the server's draft, the local edit made on top of it (`restore`, then save it), or
 * a `conflict` when someone saved after the local edit began.
 */
export function decideOnLoad(serverRevision: number, local: LocalDraft | null, same: (d: DraftContent) => boolean): 'server' | 'restore' | 'conflict' {
  if (!local || same(local)) return 'server';
  if (local.revision === serverRevision) return 'restore';
  return 'conflict';
}

export type SaveResult =
  | { kind: 'saved'; revision: number }
  | { kind: 'conflict' }
  | { kind: 'offline' }
  | { kind: 'failed'; error: unknown };

export type SaveState = 'saved' | 'pending' | 'saving' | 'offline' | 'conflict' | 'failed';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Debounced saving: `changed()` after every edit; the save runs `delay` ms after the last one (at
 * most `maxWait` after the first), one at a time, and again if edits arrived meanwhile. Offline
 * saves retry with backoff; a conflict stops saving until `resolved()`.
 */
export class AutoSaver {
  private timer: unknown = null;
  private firstPending: number | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private retryMs: number;
  state: SaveState = 'saved';

  constructor(
    private readonly save: () => Promise<SaveResult>,
    private readonly onState: (s: SaveState) => void,
    private readonly opts: { delay: number; maxWait: number; retryMin: number; retryMax: number; timers?: Timers; now?: () => number } = {
      delay: 800,
      maxWait: 4000,
      retryMin: 1000,
      retryMax: 15000,
    },
  ) {
    this.retryMs = opts.retryMin;
  }

  private get timers() {
    return this.opts.timers ?? realTimers;
  }

  private now() {
    return this.opts.now?.() ?? Date.now();
  }

  private set(s: SaveState) {
    this.state = s;
    this.onState(s);
  }

  changed(): void {
    if (this.state === 'conflict') return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.set(this.state === 'offline' ? 'offline' : 'pending');
    const now = this.now();
    this.firstPending ??= now;
    const wait = Math.max(0, Math.min(this.opts.delay, this.firstPending + this.opts.maxWait - now));
    this.schedule(wait);
  }

  private schedule(ms: number) {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  /** Saves now (the tester and publishing need the server to have the latest edit). */
  async flush(): Promise<SaveState> {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    if (this.running) {
      this.again = true;
      await this.running;
      return this.state === 'pending' ? this.flush() : this.state;
    }
    if (this.state === 'saved' || this.state === 'conflict') return this.state;
    this.firstPending = null;
    this.again = false;
    this.set('saving');
    this.running = (async () => {
      const r = await this.save();
      this.running = null;
      if (r.kind === 'saved') {
        this.retryMs = this.opts.retryMin;
        if (this.again) {
          this.again = false;
          this.set('pending');
          this.schedule(0);
        } else this.set('saved');
      } else if (r.kind === 'conflict') {
        this.set('conflict');
      } else if (r.kind === 'offline') {
        this.set('offline');
        this.schedule(this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, this.opts.retryMax);
      } else {
        this.set('failed');
      }
    })();
    await this.running;
    return this.state;
  }

  /** After a conflict was settled (theirs loaded, or mine to be saved over theirs). */
  resolved(saveMine: boolean): void {
    this.set('saved');
    if (saveMine) this.changed();
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }
}
