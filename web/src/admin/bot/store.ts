// The «Бот» screen's state: the bot's status (polled while a version trains or is being measured),
// the editor's local copy of the configuration with the draft's revision, the problems shown at
// their fields, and the versions with the figures of the one looked at. Components read it and
// call its actions; the document itself changes only through logic/document.ts.
import { create } from 'zustand';
import i18n from '../../shared/i18n';
import { serverMessage } from '../forms/fieldErrors';
import * as remote from './api';
import type { BotConfigState, BotConfigVersion } from './api';
import { intentsOf, sameDocument, type BotDocument } from './logic/document';
import { intentsWithProblems, problemsAfterRemoval, type Problem } from './logic/problems';
import { reportState } from './logic/report';

export type Busy = 'load' | 'save' | 'publish' | 'discard' | 'import' | 'rollback' | null;

export interface BotState {
  status: BotConfigState | null;
  loadError: string | null;

  /** The editor's copy of the document; `saved` is what the server has (the draft, or the version it starts from). */
  doc: BotDocument | null;
  saved: BotDocument | null;
  /** The draft's revision to send back; `null` while there is no draft (the next save starts one). */
  revision: number | null;
  basedOn: number | null;
  draftUpdatedAt: string | null;

  problems: Problem[];
  /** Why they are shown: the saved draft's own list, a refused publish, or a refused import. */
  problemsFrom: 'draft' | 'publish' | 'import' | null;
  /** Counts refusals, so the screen scrolls to the first problem of each. */
  refusals: number;
  /** Intent cards open in the editor. */
  open: number[];

  busy: Busy;
  error: string | null;
  notice: string | null;
  /** A save was refused: someone else saved the draft since it was loaded. */
  conflict: boolean;

  versions: BotConfigVersion[];
  /** Versions with their documents and figures, by number. */
  details: Record<number, BotConfigVersion>;
  /** The version whose figures are shown (the newest by default). */
  selected: number | null;

  load(): Promise<void>;
  refresh(): Promise<void>;
  edit(next: (doc: BotDocument) => BotDocument): void;
  removeIntent(index: number, next: (doc: BotDocument) => BotDocument): void;
  toggleIntent(index: number, open?: boolean): void;
  save(): Promise<boolean>;
  discard(): Promise<void>;
  publish(note: string): Promise<boolean>;
  importDocument(doc: unknown): Promise<boolean>;
  reloadDraft(): Promise<void>;
  overwrite(): Promise<void>;
  rollback(version: number): Promise<void>;
  select(version: number): Promise<void>;
  dismiss(): void;
}

export const isDirty = (s: Pick<BotState, 'doc' | 'saved'>): boolean => s.doc !== null && !sameDocument(s.doc, s.saved);

/** Whether the status is to be asked again soon: a version trains, or the newest one's figures are not in yet. */
export function needsPolling(s: Pick<BotState, 'status' | 'details'>): boolean {
  const st = s.status;
  if (!st) return false;
  if (st.training !== null && st.training !== undefined) return true;
  const latest = st.latest;
  if (!latest || typeof latest.accuracy === 'number') return false;
  if (st.failed?.version === latest.version) return false;
  const known = s.details[latest.version];
  return !known || reportState(known.report).kind === 'pending';
}

const t = (key: string, options?: Record<string, unknown>) => i18n.t(key, options);

export const useBot = create<BotState>()((set, get) => {
  const fetchDetail = async (v: number): Promise<BotConfigVersion> => {
    const d = await remote.getVersion(v);
    set((s) => ({ details: { ...s.details, [v]: d } }));
    return d;
  };

  /** The editor on the server's draft, or on the newest version when there is none. */
  const editorFrom = async (st: BotConfigState) => {
    if (st.draft) {
      const doc = remote.documentOf(st.draft) ?? {};
      set({
        doc,
        saved: doc,
        revision: st.draft.revision,
        basedOn: st.draft.based_on ?? null,
        draftUpdatedAt: st.draft.updated_at,
        problems: st.draft.problems,
        problemsFrom: st.draft.problems.length ? 'draft' : null,
        open: [...intentsWithProblems(st.draft.problems)],
      });
      return;
    }
    const latest = st.latest?.version;
    const doc = latest ? (remote.documentOf(await fetchDetail(latest)) ?? {}) : {};
    set({ doc, saved: doc, revision: null, basedOn: latest ?? null, draftUpdatedAt: null, problems: [], problemsFrom: null, open: [] });
  };

  const refusal = (problems: Problem[], from: 'publish' | 'import' | 'draft', error: string | null) =>
    set((s) => ({
      problems,
      problemsFrom: problems.length ? from : null,
      refusals: s.refusals + 1,
      error,
      open: [...new Set([...s.open, ...intentsWithProblems(problems)])],
    }));

  /** A failed save: a conflict, the configuration's problems, or another failure. */
  const saveFailed = (e: unknown, from: 'draft' | 'import') => {
    if (e instanceof remote.BotConfigError && e.status === 409) {
      set({ conflict: true, error: null });
      return;
    }
    const problems = remote.problemsOf(e);
    if (problems.length) refusal(problems, from, from === 'import' ? t('bot.importRefused') : t('bot.saveRefused'));
    else set({ error: serverMessage(e) });
  };

  const putDraft = async (doc: BotDocument, from: 'draft' | 'import'): Promise<boolean> => {
    const { revision, basedOn } = get();
    try {
      const draft = await remote.saveDraft(doc, revision, basedOn);
      const saved = remote.documentOf(draft) ?? doc;
      set((s) => ({
        // Edits made while the save was on its way stay in the editor.
        doc: from === 'import' || sameDocument(s.doc, doc) ? saved : s.doc,
        saved,
        revision: draft.revision,
        basedOn: draft.based_on ?? basedOn,
        draftUpdatedAt: draft.updated_at,
        problems: draft.problems,
        problemsFrom: draft.problems.length ? 'draft' : null,
        open: from === 'import' ? [...intentsWithProblems(draft.problems)] : [...new Set([...s.open, ...intentsWithProblems(draft.problems)])],
        conflict: false,
        error: null,
        status: s.status ? { ...s.status, draft } : s.status,
      }));
      return true;
    } catch (e) {
      saveFailed(e, from);
      return false;
    }
  };

  return {
    status: null,
    loadError: null,
    doc: null,
    saved: null,
    revision: null,
    basedOn: null,
    draftUpdatedAt: null,
    problems: [],
    problemsFrom: null,
    refusals: 0,
    open: [],
    busy: null,
    error: null,
    notice: null,
    conflict: false,
    versions: [],
    details: {},
    selected: null,

    load: async () => {
      const keepEditor = isDirty(get());
      set({ busy: 'load', loadError: null });
      try {
        const [status, versions] = await Promise.all([remote.getState(), remote.listVersions()]);
        set({ status, versions, selected: status.latest?.version ?? null, details: {} });
        if (!keepEditor) await editorFrom(status);
        const selected = get().selected;
        if (selected !== null && !get().details[selected]) await fetchDetail(selected);
      } catch (e) {
        set({ loadError: serverMessage(e) });
      } finally {
        set({ busy: null });
      }
    },

    refresh: async () => {
      const before = get().status;
      let status: BotConfigState;
      try {
        status = await remote.getState();
      } catch {
        return; // the next poll tries again
      }
      set({ status });
      const moved =
        before?.running !== status.running ||
        before?.training !== status.training ||
        before?.latest?.version !== status.latest?.version ||
        before?.latest?.accuracy !== status.latest?.accuracy;
      if (moved) {
        const versions = await remote.listVersions().catch(() => get().versions);
        set({ versions });
      }
      // The figures of the newest version (and of the one shown) follow until they are in.
      const latest = status.latest?.version;
      const wanted = new Set<number>();
      for (const v of [latest, get().selected]) {
        if (v === undefined || v === null) continue;
        const known = get().details[v];
        if (!known || reportState(known.report).kind === 'pending') wanted.add(v);
      }
      await Promise.all([...wanted].map((v) => fetchDetail(v).catch(() => undefined)));
    },

    edit: (next) => {
      const doc = get().doc;
      if (!doc) return;
      const changed = next(doc);
      if (changed !== doc) set({ doc: changed, notice: null });
    },

    removeIntent: (index, next) => {
      const s = get();
      if (!s.doc) return;
      set({
        doc: next(s.doc),
        problems: problemsAfterRemoval(s.problems, index),
        open: s.open.filter((i) => i !== index).map((i) => (i > index ? i - 1 : i)),
        notice: null,
      });
    },

    toggleIntent: (index, open) =>
      set((s) => {
        const isOpen = s.open.includes(index);
        const want = open ?? !isOpen;
        if (want === isOpen) return s;
        return { open: want ? [...s.open, index] : s.open.filter((i) => i !== index) };
      }),

    save: async () => {
      const doc = get().doc;
      if (!doc) return false;
      set({ busy: 'save', error: null, notice: null });
      const ok = await putDraft(doc, 'draft');
      set({ busy: null, notice: ok ? t('bot.saved') : null });
      return ok;
    },

    discard: async () => {
      set({ busy: 'discard', error: null, notice: null });
      try {
        await remote.discardDraft();
        const status = await remote.getState();
        set({ status, conflict: false });
        await editorFrom(status);
        set({ notice: t('bot.discarded') });
      } catch (e) {
        set({ error: serverMessage(e) });
      } finally {
        set({ busy: null });
      }
    },

    publish: async (note) => {
      const s = get();
      if (!s.doc) return false;
      set({ busy: 'publish', error: null, notice: null });
      try {
        // What is published is the saved draft: the editor's copy is saved first.
        if (isDirty(s) || s.revision === null) {
          if (!(await putDraft(s.doc, 'draft'))) return false;
        }
        const v = await remote.publish(note);
        const doc = get().doc;
        set({
          saved: doc,
          revision: null,
          basedOn: v.version,
          draftUpdatedAt: null,
          problems: [],
          problemsFrom: null,
          selected: v.version,
          notice: t('bot.published', { n: v.version }),
        });
        await get().refresh();
        set({ versions: await remote.listVersions().catch(() => get().versions) });
        return true;
      } catch (e) {
        const problems = remote.problemsOf(e);
        if (problems.length) refusal(problems, 'publish', t('bot.publishRefused', { count: problems.length }));
        else set({ error: serverMessage(e) });
        return false;
      } finally {
        set({ busy: null });
      }
    },

    importDocument: async (doc) => {
      set({ busy: 'import', error: null, notice: null });
      const ok = await putDraft(doc as BotDocument, 'import');
      set({ busy: null, notice: ok ? t('bot.imported', { count: intentsOf(get().doc ?? {}).length }) : null });
      return ok;
    },

    reloadDraft: async () => {
      set({ busy: 'load', error: null, notice: null });
      try {
        const status = await remote.getState();
        set({ status, conflict: false });
        await editorFrom(status);
      } catch (e) {
        set({ error: serverMessage(e) });
      } finally {
        set({ busy: null });
      }
    },

    overwrite: async () => {
      const doc = get().doc;
      if (!doc) return;
      set({ busy: 'save', error: null });
      try {
        const status = await remote.getState();
        set({ status, revision: status.draft?.revision ?? null });
        const ok = await putDraft(doc, 'draft');
        if (ok) set({ notice: t('bot.saved') });
      } catch (e) {
        set({ error: serverMessage(e) });
      } finally {
        set({ busy: null });
      }
    },

    rollback: async (version) => {
      set({ busy: 'rollback', error: null, notice: null });
      try {
        const v = await remote.rollback(version);
        const follow = !isDirty(get()) && get().revision === null;
        set({ selected: v.version, notice: t('bot.rolledBack', { n: v.version, from: version }) });
        await get().refresh();
        set({ versions: await remote.listVersions().catch(() => get().versions) });
        const status = get().status;
        if (follow && status) await editorFrom(status);
      } catch (e) {
        set({ error: serverMessage(e) });
      } finally {
        set({ busy: null });
      }
    },

    select: async (version) => {
      set({ selected: version });
      const known = get().details[version];
      if (!known || reportState(known.report).kind === 'pending') await fetchDetail(version).catch((e) => set({ error: serverMessage(e) }));
    },

    dismiss: () => set({ error: null, notice: null }),
  };
});
