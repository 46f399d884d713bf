// The studio's calls to the workflows API. Saving is the one that needs more than `unwrap`: a 409
// carries the other editor's draft, and a network failure is "offline", not an error.
import { api, ApiError, unwrap } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { DraftContent } from './logic/autosave';
import type { WfDocument } from './logic/document';
import type { StubSpec, TestCase } from './logic/testCases';
import type { Catalogue } from './logic/catalogue';

type S = components['schemas'];
export type WorkflowSummary = S['WorkflowSummary'];
export type WorkflowFull = S['WorkflowFull'];
export type WorkflowVersion = S['WorkflowVersion'];
export type WorkflowProblem = S['WorkflowProblem'];
export type SuiteResult = S['SuiteResult'];
export type CaseResult = S['CaseResult'];
export type TestResult = S['WorkflowTestResult'];
export type Integration = S['Integration'];
export type KbCategory = S['KbCategory'];

export const documentOf = (w: WorkflowFull): WfDocument => w.document as unknown as WfDocument;
export const testsOf = (w: WorkflowFull): TestCase[] => w.tests as unknown as TestCase[];

export const loadCatalogue = () => unwrap(api.GET('/api/v1/workflows/catalogue')) as Promise<Catalogue>;
export const listWorkflows = () => unwrap(api.GET('/api/v1/workflows'));
export const getWorkflow = (id: number) => unwrap(api.GET('/api/v1/workflows/{id}', { params: { path: { id } } }));
export const listIntegrations = () => unwrap(api.GET('/api/v1/integrations'));
export const listKbCategories = () => unwrap(api.GET('/api/v1/kb/categories'));
export const listVersions = (id: number) => unwrap(api.GET('/api/v1/workflows/{id}/versions', { params: { path: { id } } }));
export const getVersion = (id: number, version: number) =>
  unwrap(api.GET('/api/v1/workflows/{id}/versions/{version}', { params: { path: { id, version } } }));

export function createWorkflow(d: DraftContent) {
  return unwrap(
    api.POST('/api/v1/workflows', {
      body: { name: d.name, document: d.document as unknown as Record<string, never>, tests: d.tests as unknown as Record<string, never>[] },
    }),
  );
}

export type SaveOutcome = { kind: 'saved'; workflow: WorkflowFull } | { kind: 'conflict'; current: WorkflowFull } | { kind: 'offline' } | { kind: 'failed'; error: unknown };

export async function saveWorkflow(id: number, d: DraftContent, revision: number | null): Promise<SaveOutcome> {
  try {
    const r = await api.PUT('/api/v1/workflows/{id}', {
      params: { path: { id } },
      body: {
        name: d.name,
        document: d.document as unknown as Record<string, never>,
        tests: d.tests as unknown as Record<string, never>[],
        revision,
      },
    });
    if (r.response.ok && r.data) return { kind: 'saved', workflow: r.data };
    if (r.response.status === 409) {
      const body = r.error as unknown as { current?: WorkflowFull };
      if (body?.current) return { kind: 'conflict', current: body.current };
    }
    const err = (r.error as { error?: { code?: string; message?: string } } | undefined)?.error;
    return { kind: 'failed', error: new ApiError(r.response.status, err?.code ?? `http_${r.response.status}`, err?.message ?? '') };
  } catch {
    return { kind: 'offline' };
  }
}

export function deleteWorkflow(id: number) {
  return unwrap(api.DELETE('/api/v1/workflows/{id}', { params: { path: { id } } }));
}

export function publishWorkflow(id: number, note: string) {
  return unwrap(api.POST('/api/v1/workflows/{id}/publish', { params: { path: { id } }, body: { note: note.trim() || null } }));
}

export function rollbackWorkflow(id: number, version: number) {
  return unwrap(api.POST('/api/v1/workflows/{id}/rollback', { params: { path: { id } }, body: { version } }));
}

export function setAccountWorkflow(accountId: number, workflowId: number | null) {
  return unwrap(api.PUT('/api/v1/accounts/{id}/workflow', { params: { path: { id: accountId } }, body: { workflow_id: workflowId } }));
}

export function runTest(id: number, version: 'draft' | number, messages: string[], stubs: StubSpec[]) {
  return unwrap(
    api.POST('/api/v1/workflows/{id}/test', {
      params: { path: { id } },
      body: { version: version as unknown as Record<string, never>, messages, stubs: stubs as S['ActionStub'][] },
    }),
  );
}

export function runSuite(id: number, version: 'draft' | number) {
  return unwrap(api.POST('/api/v1/workflows/{id}/suite', { params: { path: { id }, query: { version: String(version) } } }));
}

/** The problems of a refused publish or test (`workflow_invalid`), when that is why it failed. */
export function problemsOf(e: unknown): WorkflowProblem[] | null {
  const p = (e as { problems?: WorkflowProblem[] } | null)?.problems;
  return Array.isArray(p) ? p : null;
}
