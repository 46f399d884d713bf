// The workflow studio's state: the catalogue and the list, and the workflow open in the editor — its
// document under undo/redo, its selection, its saving (autosave.ts), its versions, the tester's
// dialog and the suite. Components read it and call its actions; the logic lives in logic/.
import { create } from 'zustand';
import { errorText } from '../../shared/api/errors';
import * as remote from './api';
import type { WorkflowFull, WorkflowSummary, WorkflowVersion } from './api';
import { AutoSaver, clearLocalDraft, decideOnLoad, readLocalDraft, writeLocalDraft, type DraftContent, type SaveState } from './logic/autosave';
import type { Catalogue } from './logic/catalogue';
import { copySelection, isFragment, pasteFragment, type Fragment } from './logic/clipboard';
import { canonical } from './logic/diff';
import { cleanForSave, emptyDocument, type WfDocument } from './logic/document';
import { addNode, connect, moveNodes, removeElements, renameNode, setNodeData, type Connection } from './logic/graph';
import { record, redo, seal, startHistory, undo, type History } from './logic/history';
import { autoLayout } from './logic/layout';
import { caseFromDialog, withCase, type TestCase } from './logic/testCases';
import { noStubs, stubSpecs, type TesterStubs } from './logic/testerStubs';
import type { TestTurn } from './logic/trace';

export interface Selection {
  nodes: string[];
  edges: string[];
}

export interface TesterState {
  messages: string[];
  turns: TestTurn[];
  running: boolean;
  error: string | null;
  /** The turn whose path is lit (the last one by default). */
  turn: number | null;
  stubs: TesterStubs;
  /** The node whose steps the inspector shows. */
  inspect: string | null;
}

export interface StudioState {
  catalogue: Catalogue | null;
  integrations: remote.Integration[];
  categories: remote.KbCategory[];
  list: WorkflowSummary[];
  listError: string | null;

  id: number | null;
  loadError: string | null;
  name: string;
  revision: number;
  published: number | null;
  accountIds: number[];
  history: History<WfDocument>;
  tests: TestCase[];
  problems: remote.WorkflowProblem[];
  selection: Selection;
  saveState: SaveState;
  saveError: string | null;
  /** The other editor's draft after a 409. */
  conflict: WorkflowFull | null;
  /** Set when the open draft came back from this browser's storage. */
  restored: boolean;
  versions: WorkflowVersion[];
  tester: TesterState;
  suite: remote.SuiteResult | null;
  suiteRunning: boolean;
  suiteVersion: 'draft' | number;

  boot(): Promise<void>;
  loadList(): Promise<void>;
  create(content: DraftContent): Promise<number>;
  open(id: number): Promise<void>;
  close(): void;
  edit(next: (doc: WfDocument) => WfDocument | null, coalesce?: string | null): void;
  rename(name: string): void;
  undo(): void;
  redo(): void;
  seal(): void;
  select(s: Selection): void;
  add(type: string, position: { x: number; y: number }): string | null;
  connect(c: Connection): void;
  remove(nodes: string[], edges: string[]): void;
  move(positions: Map<string, { x: number; y: number }>): void;
  setData(id: string, data: Record<string, unknown>, coalesce: string): void;
  renameNode(from: string, to: string): boolean;
  copy(): Fragment | null;
  paste(fragment: unknown, offset?: { x: number; y: number }): void;
  layout(sizes?: Map<string, { width: number; height: number }>): void;
  flush(): Promise<SaveState>;
  resolveConflict(keepMine: boolean): Promise<void>;
  loadVersions(): Promise<void>;
  publish(note: string): Promise<WorkflowVersion>;
  rollback(version: number): Promise<void>;
  assign(accountId: number, run: boolean): Promise<void>;
  setStubs(stubs: TesterStubs): void;
  say(text: string, version: 'draft' | number): Promise<void>;
  resetTester(): void;
  pickTurn(turn: number | null): void;
  inspect(node: string | null): void;
  saveCase(name: string): void;
  setTests(tests: TestCase[]): void;
  runSuite(version: 'draft' | number): Promise<remote.SuiteResult | null>;
}

const freshTester = (stubs: TesterStubs = noStubs()): TesterState => ({
  messages: [],
  turns: [],
  running: false,
  error: null,
  turn: null,
  stubs,
  inspect: null,
});

let saver: AutoSaver | null = null;
/** What the server has for the open workflow (to tell whether a local copy holds anything new). */
let serverContent = '';

const contentKey = (d: DraftContent) => canonical({ name: d.name, document: cleanForSave(d.document), tests: d.tests });

export const useStudio = create<StudioState>()((set, get) => {
  const content = (): DraftContent => {
    const s = get();
    return { name: s.name, document: cleanForSave(s.history.present), tests: s.tests };
  };

  /** After every change of name, document or tests: keep it locally at once, save it soon. */
  const changed = () => {
    const s = get();
    if (s.id === null) return;
    writeLocalDraft(localStorage, s.id, { ...content(), revision: s.revision, at: Date.now() });
    saver?.changed();
  };

  const applyServer = (w: WorkflowFull, keepDocument: boolean) => {
    serverContent = contentKey({ name: w.name, document: remote.documentOf(w), tests: remote.testsOf(w) });
    set((s) => ({
      revision: w.revision,
      published: w.published_version ?? null,
      accountIds: w.account_ids,
      problems: w.problems,
      ...(keepDocument ? {} : { name: w.name, tests: remote.testsOf(w), history: startHistory(remote.documentOf(w)), selection: { nodes: [], edges: [] } }),
      list: s.list.map((x) => (x.id === w.id ? { ...x, name: w.name, revision: w.revision, published_version: w.published_version } : x)),
    }));
  };

  const save = async () => {
    const s = get();
    if (s.id === null) return { kind: 'saved' as const, revision: s.revision };
    const sent = content();
    const id = s.id;
    const r = await remote.saveWorkflow(id, sent, s.revision);
    if (get().id !== id) return { kind: 'saved' as const, revision: 0 };
    if (r.kind === 'saved') {
      applyServer(r.workflow, true);
      set({ saveError: null });
      // The local copy goes once the server has exactly what it holds.
      if (contentKey(content()) === contentKey(sent)) clearLocalDraft(localStorage, id);
      else writeLocalDraft(localStorage, id, { ...content(), revision: r.workflow.revision, at: Date.now() });
      return { kind: 'saved' as const, revision: r.workflow.revision };
    }
    if (r.kind === 'conflict') {
      set({ conflict: r.current });
      return { kind: 'conflict' as const };
    }
    if (r.kind === 'offline') return { kind: 'offline' as const };
    set({ saveError: errorText(r.error) });
    return { kind: 'failed' as const, error: r.error };
  };

  const edit: StudioState['edit'] = (next, coalesce = null) => {
    const s = get();
    const doc = next(s.history.present);
    if (!doc || doc === s.history.present) return;
    set({ history: record(s.history, doc, coalesce) });
    changed();
  };

  return {
    catalogue: null,
    integrations: [],
    categories: [],
    list: [],
    listError: null,
    id: null,
    loadError: null,
    name: '',
    revision: 0,
    published: null,
    accountIds: [],
    history: startHistory(emptyDocument()),
    tests: [],
    problems: [],
    selection: { nodes: [], edges: [] },
    saveState: 'saved',
    saveError: null,
    conflict: null,
    restored: false,
    versions: [],
    tester: freshTester(),
    suite: null,
    suiteRunning: false,
    suiteVersion: 'draft',

    async boot() {
      if (get().catalogue) return;
      const [catalogue, integrations, categories] = await Promise.all([
        remote.loadCatalogue(),
        remote.listIntegrations().catch(() => []),
        remote.listKbCategories().catch(() => []),
      ]);
      set({ catalogue, integrations, categories });
    },

    async loadList() {
      try {
        set({ list: await remote.listWorkflows(), listError: null });
      } catch (e) {
        set({ listError: errorText(e) });
      }
    },

    async create(c) {
      const w = await remote.createWorkflow(c);
      await get().loadList();
      return w.id;
    },

    async open(id) {
      saver?.dispose();
      set({ id, loadError: null, conflict: null, restored: false, versions: [], tester: freshTester(), suite: null, saveState: 'saved', saveError: null });
      let w: WorkflowFull;
      try {
        w = await remote.getWorkflow(id);
      } catch (e) {
        set({ loadError: errorText(e) });
        return;
      }
      if (get().id !== id) return;
      applyServer(w, false);
      saver = new AutoSaver(save, (st) => set({ saveState: st }));
      const local = readLocalDraft(localStorage, id);
      const decision = decideOnLoad(w.revision, local, (d) => contentKey(d) === serverContent);
      if (local && decision === 'restore') {
        set({ name: local.name, tests: local.tests, history: startHistory(local.document), restored: true });
        saver.changed();
      } else if (local && decision === 'conflict') {
        // Edited here on an older revision, saved elsewhere since: show both, lose neither.
        set({ name: local.name, tests: local.tests, history: startHistory(local.document), restored: true, conflict: w, saveState: 'conflict' });
        saver.state = 'conflict';
      } else if (local) clearLocalDraft(localStorage, id);
      void get().loadVersions();
    },

    close() {
      void saver?.flush();
      set({ id: null });
    },

    edit,

    rename(name) {
      set({ name });
      changed();
    },

    undo() {
      const h = undo(get().history);
      if (h === get().history) return;
      set({ history: h });
      changed();
    },
    redo() {
      const h = redo(get().history);
      if (h === get().history) return;
      set({ history: h });
      changed();
    },
    seal() {
      set({ history: seal(get().history) });
    },

    select(selection) {
      set({ selection });
    },

    add(type, position) {
      const cat = get().catalogue;
      if (!cat) return null;
      let id: string | null = null;
      edit((doc) => {
        const r = addNode(doc, cat, type, position);
        id = r?.id ?? null;
        return r?.doc ?? null;
      });
      if (id) set({ selection: { nodes: [id], edges: [] } });
      return id;
    },

    connect(c) {
      const cat = get().catalogue;
      if (cat) edit((doc) => connect(doc, c, cat));
    },

    remove(nodes, edges) {
      edit((doc) => removeElements(doc, nodes, edges));
      set({ selection: { nodes: [], edges: [] } });
    },

    move(positions) {
      edit((doc) => moveNodes(doc, positions));
    },

    setData(id, data, coalesce) {
      const cat = get().catalogue;
      if (cat) edit((doc) => setNodeData(doc, id, data, cat), coalesce);
    },

    renameNode(from, to) {
      let ok = false;
      edit((doc) => {
        const r = renameNode(doc, from, to);
        ok = r !== null;
        return r;
      });
      if (ok) set({ selection: { nodes: [to.trim()], edges: [] } });
      return ok;
    },

    copy() {
      return copySelection(get().history.present, get().selection.nodes);
    },

    paste(fragment, offset = { x: 40, y: 40 }) {
      if (!isFragment(fragment)) return;
      let pasted: string[] = [];
      edit((doc) => {
        const r = pasteFragment(doc, fragment, offset);
        pasted = r.pasted;
        return r.doc;
      });
      set({ selection: { nodes: pasted, edges: [] } });
    },

    layout(sizes) {
      edit((doc) => moveNodes(doc, autoLayout(doc, { sizes })));
    },

    async flush() {
      return saver ? saver.flush() : 'saved';
    },

    async resolveConflict(keepMine) {
      const c = get().conflict;
      const id = get().id;
      if (!c || id === null) return;
      if (keepMine) {
        // Mine goes over theirs: save it on top of their revision.
        set({ conflict: null, revision: c.revision });
        saver?.resolved(true);
        await saver?.flush();
      } else {
        clearLocalDraft(localStorage, id);
        applyServer(c, false);
        set({ conflict: null, restored: false });
        saver?.resolved(false);
      }
    },

    async loadVersions() {
      const id = get().id;
      if (id === null) return;
      try {
        const versions = await remote.listVersions(id);
        if (get().id === id) set({ versions });
      } catch {
        /* the list stays as it was */
      }
    },

    async publish(note) {
      const id = get().id!;
      await get().flush();
      const v = await remote.publishWorkflow(id, note);
      set({ published: v.version });
      await get().loadVersions();
      void get().loadList();
      return v;
    },

    async rollback(version) {
      const id = get().id!;
      const w = await remote.rollbackWorkflow(id, version);
      set({ published: w.published_version ?? null });
      await get().loadVersions();
    },

    async assign(accountId, run) {
      const id = get().id!;
      await remote.setAccountWorkflow(accountId, run ? id : null);
      const w = await remote.getWorkflow(id);
      set({ accountIds: w.account_ids });
      void get().loadList();
    },

    setStubs(stubs) {
      set((s) => ({ tester: { ...s.tester, stubs } }));
    },

    async say(text, version) {
      const id = get().id;
      const msg = text.trim();
      if (id === null || !msg || get().tester.running) return;
      const messages = [...get().tester.messages, msg];
      set((s) => ({ tester: { ...s.tester, messages, running: true, error: null } }));
      // The tester runs what the server has: the latest edit first.
      if (version === 'draft') await get().flush();
      try {
        const stubs = stubSpecs(get().history.present, get().tester.stubs);
        const r = await remote.runTest(id, version, messages, stubs);
        set((s) => ({ tester: { ...s.tester, turns: r.turns, running: false, turn: r.turns.length - 1 } }));
      } catch (e) {
        set((s) => ({ tester: { ...s.tester, messages: messages.slice(0, -1), running: false, error: errorText(e) } }));
      }
    },

    resetTester() {
      set((s) => ({ tester: freshTester(s.tester.stubs) }));
    },

    pickTurn(turn) {
      set((s) => ({ tester: { ...s.tester, turn } }));
    },

    inspect(node) {
      set((s) => ({ tester: { ...s.tester, inspect: node } }));
    },

    saveCase(name) {
      const s = get();
      const c = caseFromDialog(name, s.tester.messages, s.tester.turns, stubSpecs(s.history.present, s.tester.stubs));
      set({ tests: withCase(s.tests, c) });
      changed();
    },

    setTests(tests) {
      set({ tests });
      changed();
    },

    async runSuite(version) {
      const id = get().id;
      if (id === null) return null;
      set({ suiteRunning: true, suiteVersion: version });
      try {
        await get().flush();
        const r = await remote.runSuite(id, version);
        set({ suite: r, suiteRunning: false });
        return r;
      } catch (e) {
        set({ suiteRunning: false, saveError: errorText(e) });
        return null;
      }
    },
  };
});
