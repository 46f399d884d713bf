import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CATALOGUE, deliveryFlow } from './logic/fixtures';
import { readLocalDraft, writeLocalDraft } from './logic/autosave';
import type { WorkflowFull } from './api';

// The server, as the studio's API module sees it: one workflow, saved with a revision check.
const server = vi.hoisted(() => ({
  workflow: null as unknown as WorkflowFull,
  saves: [] as { revision: number | null; name: string }[],
  offline: false,
}));

vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  return {
    ...real,
    loadCatalogue: async () => CATALOGUE,
    listIntegrations: async () => [],
    listKbCategories: async () => [],
    listVersions: async () => [],
    listWorkflows: async () => [server.workflow],
    getWorkflow: async () => structuredClone(server.workflow),
    saveWorkflow: async (_id: number, d: { name: string; document: unknown; tests: unknown }, revision: number | null) => {
      server.saves.push({ revision, name: d.name });
      if (server.offline) return { kind: 'offline' };
      if (revision !== null && revision !== server.workflow.revision) return { kind: 'conflict', current: structuredClone(server.workflow) };
      server.workflow = { ...server.workflow, name: d.name, document: d.document as never, tests: d.tests as never, revision: server.workflow.revision + 1 };
      return { kind: 'saved', workflow: structuredClone(server.workflow) };
    },
  };
});

const { useStudio } = await import('./store');

function stored(over: Partial<WorkflowFull> = {}): WorkflowFull {
  return {
    id: 5,
    name: 'Доставка',
    revision: 3,
    published_version: null,
    account_ids: [],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    document: deliveryFlow() as never,
    tests: [],
    problems: [],
    ...over,
  };
}

beforeEach(async () => {
  localStorage.clear();
  server.workflow = stored();
  server.saves = [];
  server.offline = false;
  await useStudio.getState().boot();
});
afterEach(() => useStudio.getState().close());

describe('the studio’s draft', () => {
  it('saves an edit with the revision it started from, and undo is a save too', async () => {
    const s = useStudio.getState();
    await s.open(5);
    s.add('message', { x: 900, y: 0 });
    expect(useStudio.getState().history.present.nodes.map((n) => n.id)).toContain('message_1');
    // Kept locally at once, before any save.
    expect(readLocalDraft(localStorage, 5)!.document.nodes).toHaveLength(6);
    expect(await useStudio.getState().flush()).toBe('saved');
    expect(server.saves).toEqual([{ revision: 3, name: 'Доставка' }]);
    expect(useStudio.getState().revision).toBe(4);
    expect(readLocalDraft(localStorage, 5)).toBeNull();
    useStudio.getState().undo();
    await useStudio.getState().flush();
    expect((server.workflow.document as unknown as { nodes: unknown[] }).nodes).toHaveLength(5);
    expect(server.saves.at(-1)!.revision).toBe(4);
  });

  it('offline: the edit waits in the browser and comes back after a reload', async () => {
    await useStudio.getState().open(5);
    server.offline = true;
    useStudio.getState().rename('Доставка и оплата');
    expect(await useStudio.getState().flush()).toBe('offline');
    useStudio.getState().close();
    // "Reload": a fresh open finds the local edit on the server's revision and restores it.
    server.offline = false;
    await useStudio.getState().open(5);
    expect(useStudio.getState().restored).toBe(true);
    expect(useStudio.getState().name).toBe('Доставка и оплата');
    expect(await useStudio.getState().flush()).toBe('saved');
    expect(server.workflow.name).toBe('Доставка и оплата');
  });

  it('a save over someone else’s newer revision is a conflict: theirs or mine, nothing lost silently', async () => {
    await useStudio.getState().open(5);
    // Another admin saves meanwhile.
    server.workflow = { ...server.workflow, name: 'Их версия', revision: 4 };
    useStudio.getState().rename('Моя версия');
    expect(await useStudio.getState().flush()).toBe('conflict');
    expect(useStudio.getState().conflict!.name).toBe('Их версия');
    expect(server.workflow.name).toBe('Их версия');
    await useStudio.getState().resolveConflict(true);
    expect(server.workflow.name).toBe('Моя версия');
    expect(server.saves.at(-1)!.revision).toBe(4);

    server.workflow = { ...server.workflow, name: 'Снова их', revision: 9 };
    useStudio.getState().rename('Снова моя');
    expect(await useStudio.getState().flush()).toBe('conflict');
    await useStudio.getState().resolveConflict(false);
    expect(useStudio.getState().name).toBe('Снова их');
    expect(useStudio.getState().revision).toBe(9);
    expect(readLocalDraft(localStorage, 5)).toBeNull();
  });

  it('a local edit made on an older revision opens as a conflict, not over the newer draft', async () => {
    writeLocalDraft(localStorage, 5, { revision: 2, at: 1, name: 'Старая правка', document: deliveryFlow(), tests: [] });
    await useStudio.getState().open(5);
    const s = useStudio.getState();
    expect(s.conflict?.revision).toBe(3);
    expect(s.name).toBe('Старая правка');
    expect(s.saveState).toBe('conflict');
    expect(server.saves).toEqual([]);
  });

  it('copy and paste, delete and layout go through undo', async () => {
    await useStudio.getState().open(5);
    const s = useStudio.getState();
    s.select({ nodes: ['search_1', 'ai_response_1'], edges: [] });
    const f = useStudio.getState().copy()!;
    useStudio.getState().paste(f);
    expect(useStudio.getState().selection.nodes).toEqual(['search_2', 'ai_response_2']);
    useStudio.getState().remove(['search_2'], []);
    useStudio.getState().layout();
    const h = useStudio.getState().history;
    expect(h.past).toHaveLength(3);
    useStudio.getState().undo();
    useStudio.getState().undo();
    useStudio.getState().undo();
    expect(useStudio.getState().history.present).toEqual(deliveryFlow());
  });

  it('save as test case turns the tried dialog into a case of the suite', async () => {
    await useStudio.getState().open(5);
    useStudio.setState((st) => ({
      tester: {
        ...st.tester,
        messages: ['Сколько идёт доставка?'],
        turns: [{ message: 'Сколько идёт доставка?', replies: ['2–3 дня'], outcome: 'ended', intent: 'delivery', slots: {}, trace: [{ node_id: 'start', node_type: 'start', input: null, output: { branch: 'out' }, micros: 1 }] }],
        stubs: { actions: {}, llm: { ai_response_1: { mode: 'canned', reply: '2–3 дня' } } },
      },
    }));
    useStudio.getState().saveCase('Доставка');
    expect(useStudio.getState().tests).toEqual([
      {
        name: 'Доставка',
        messages: ['Сколько идёт доставка?'],
        stubs: [{ node: 'ai_response_1', reply: '2–3 дня' }],
        expect: [{ turn: 1, outcome: 'ended', intent: 'delivery', path: ['start'], reply_contains: '2–3 дня' }],
      },
    ]);
    await useStudio.getState().flush();
    expect((server.workflow.tests as unknown as unknown[]).length).toBe(1);
  });
});
