// The workflow studio: the palette, the canvas and a side panel (the selected node's settings,
// problems, the tester, the suite, versions), with the draft saved as it is edited. The URL holds
// what is shown (`?panel=`, `?version=N` read-only, `?diff=N`), so a reload or a shared link opens
// the same screen.
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { errorText } from '../../shared/api/errors';
import { getVersion } from './api';
import { Canvas } from './Canvas';
import { diffDocuments, mergedForDiff } from './logic/diff';
import { exportDocument, exportFileName, type WfDocument } from './logic/document';
import { canRedo, canUndo } from './logic/history';
import { highlightOf } from './logic/trace';
import { NodeSettings } from './NodeSettings';
import { Palette } from './Palette';
import { ProblemsPanel } from './ProblemsPanel';
import { useStudio } from './store';
import { SuitePanel } from './SuitePanel';
import { TesterPanel } from './TesterPanel';
import { VersionsPanel } from './VersionsPanel';
import type { Fragment } from './logic/clipboard';
import './studio.css';

const PANELS = ['settings', 'problems', 'tester', 'suite', 'versions'] as const;
type Panel = (typeof PANELS)[number];

/** The in-app clipboard (the system one is written too, for pasting into another tab). */
let clipboard: Fragment | null = null;

export function StudioPage() {
  const { id: idParam } = useParams();
  const id = Number(idParam);
  return (
    <ReactFlowProvider>
      <Studio key={id} id={id} />
    </ReactFlowProvider>
  );
}

function Studio({ id }: { id: number }) {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const s = useStudio();
  const panel: Panel = (PANELS as readonly string[]).includes(params.get('panel') ?? '') ? (params.get('panel') as Panel) : 'settings';
  const viewVersion = Number(params.get('version')) || null;
  const diffVersion = Number(params.get('diff')) || null;
  const [other, setOther] = useState<{ version: number; document: WfDocument } | null>(null);
  const [otherError, setOtherError] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ id: string; at: number } | null>(null);
  const [publishing, setPublishing] = useState(false);

  useEffect(() => {
    s.boot()
      .then(() => s.open(id))
      .catch((e) => useStudio.setState({ loadError: errorText(e) }));
    return () => s.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const wanted = viewVersion ?? diffVersion;
  useEffect(() => {
    setOtherError(null);
    if (!wanted) {
      setOther(null);
      return;
    }
    let live = true;
    getVersion(id, wanted)
      .then((v) => live && setOther({ version: wanted, document: v.document as unknown as WfDocument }))
      .catch((e) => live && setOtherError(errorText(e)));
    return () => {
      live = false;
    };
  }, [id, wanted]);

  const setPanel = (p: Panel) =>
    setParams(
      (prev) => {
        const n = new URLSearchParams(prev);
        n.set('panel', p);
        return n;
      },
      { replace: true },
    );
  const view = (version: number | null, mode: 'view' | 'diff') =>
    setParams((prev) => {
      const n = new URLSearchParams(prev);
      n.delete('version');
      n.delete('diff');
      if (version !== null) n.set(mode === 'view' ? 'version' : 'diff', String(version));
      return n;
    });

  const draft = s.history.present;
  const readOnly = viewVersion !== null;
  const shown: WfDocument = readOnly ? (other?.version === viewVersion ? other.document : { version: 1, nodes: [], edges: [] }) : draft;
  const diff = useMemo(() => (diffVersion && other?.version === diffVersion ? diffDocuments(other.document, draft) : null), [diffVersion, other, draft]);
  const canvasDoc = useMemo(() => (diff && other ? mergedForDiff(other.document, draft) : shown), [diff, other, draft, shown]);

  const problemsByNode = useMemo(() => {
    const m = new Map<string, string[]>();
    if (readOnly) return m;
    for (const p of s.problems) if (p.node_id) m.set(p.node_id, [...(m.get(p.node_id) ?? []), p.message]);
    return m;
  }, [s.problems, readOnly]);
  const problemEdges = useMemo(() => new Set(readOnly ? [] : s.problems.flatMap((p) => (p.edge_id ? [p.edge_id] : []))), [s.problems, readOnly]);

  const litTurns = useMemo(() => {
    const turns = s.tester.turns;
    if (!turns.length) return [];
    const i = s.tester.turn ?? turns.length - 1;
    return turns[i] ? [turns[i]] : [];
  }, [s.tester.turns, s.tester.turn]);
  const highlight = useMemo(() => (panel === 'tester' && litTurns.length ? highlightOf(shown, litTurns) : null), [panel, litTurns, shown]);

  const selectedNode = s.selection.nodes.length === 1 ? shown.nodes.find((n) => n.id === s.selection.nodes[0]) : undefined;

  // Keyboard: undo/redo, copy/paste, select all; not while typing in a field.
  const keys = useRef({ s, readOnly });
  keys.current = { s, readOnly };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      const { s, readOnly } = keys.current;
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !readOnly) {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (k === 'y' && !readOnly) {
        e.preventDefault();
        s.redo();
      } else if (k === 'c') {
        const f = s.copy();
        if (f) {
          clipboard = f;
          void navigator.clipboard?.writeText(JSON.stringify(f)).catch(() => undefined);
        }
      } else if (k === 'v' && !readOnly && clipboard) {
        e.preventDefault();
        s.paste(clipboard);
      } else if (k === 'a' && !readOnly) {
        e.preventDefault();
        s.select({ nodes: s.history.present.nodes.map((n) => n.id), edges: [] });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // No "leave the page?" prompt: an unsaved edit is already in this browser's storage and comes
  // back with the next visit (autosave.ts).

  const focusNode = useCallback(
    (node: string) => {
      if (!node) return;
      s.select({ nodes: [node], edges: [] });
      setFocus({ id: node, at: Date.now() });
    },
    [s],
  );

  const exportFile = () => {
    const blob = new Blob([exportDocument(shown)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = exportFileName(s.name + (viewVersion ? `-v${viewVersion}` : ''));
    a.click();
    URL.revokeObjectURL(a.href);
  };

  if (s.loadError) {
    return (
      <section className="admin-section" data-testid="admin-section" data-section="workflows">
        <p className="wf-problem">{s.loadError}</p>
        <Link to="/admin/workflows">{t('wf.studio.back')}</Link>
      </section>
    );
  }
  if (!s.catalogue || s.id !== id) return <div className="splash">{t('list.loading')}</div>;
  const catalogue = s.catalogue;

  return (
    <div className="wf-studio" data-testid="wf-studio" data-save-state={s.saveState} data-revision={s.revision}>
      <header className="wf-bar">
        <Link to="/admin/workflows" className="text-btn" data-testid="wf-back">
          ← {t('wf.studio.back')}
        </Link>
        <input className="wf-name" value={s.name} onChange={(e) => s.rename(e.target.value)} aria-label={t('wf.studio.name')} data-testid="wf-name" disabled={readOnly} />
        <SaveStatus />
        <span className="wf-bar-gap" />
        {!readOnly && (
          <>
            <button type="button" className="wf-tool" onClick={s.undo} disabled={!canUndo(s.history)} title={t('wf.studio.undoKey')} data-testid="wf-undo">
              ↶ {t('wf.studio.undo')}
            </button>
            <button type="button" className="wf-tool" onClick={s.redo} disabled={!canRedo(s.history)} title={t('wf.studio.redoKey')} data-testid="wf-redo">
              ↷ {t('wf.studio.redo')}
            </button>
            <button type="button" className="wf-tool" onClick={() => s.layout()} data-testid="wf-layout">
              {t('wf.studio.layout')}
            </button>
          </>
        )}
        <button type="button" className="wf-tool" onClick={exportFile} data-testid="wf-export">
          {t('wf.studio.export')}
        </button>
        {!readOnly && (
          <button type="button" className="wf-primary" disabled={s.problems.length > 0 || publishing} onClick={() => setPublishing(true)} title={s.problems.length ? t('wf.publish.blocked', { count: s.problems.length }) : undefined} data-testid="wf-publish">
            {t('wf.publish.button')}
          </button>
        )}
      </header>
      {(readOnly || diff) && (
        <div className="wf-banner" data-testid={readOnly ? 'wf-readonly' : 'wf-diff'}>
          {readOnly
            ? t('wf.studio.viewing', { n: viewVersion })
            : t('wf.studio.diffing', { n: diffVersion, added: diff!.counts.added, removed: diff!.counts.removed, changed: diff!.counts.changed })}
          <button type="button" className="text-btn" onClick={() => view(null, 'view')} data-testid="wf-back-to-draft">
            {t('wf.studio.backToDraft')}
          </button>
          {diff && (
            <span className="wf-legend">
              <i className="diff-added" /> {t('wf.diff.added')} <i className="diff-removed" /> {t('wf.diff.removed')} <i className="diff-changed" /> {t('wf.diff.changed')}
            </span>
          )}
        </div>
      )}
      {otherError && <div className="wf-banner wf-problem">{otherError}</div>}
      {s.restored && !s.conflict && (
        <div className="wf-banner" data-testid="wf-restored">
          {t('wf.studio.restored')}
          <button type="button" className="text-btn" onClick={() => useStudio.setState({ restored: false })}>
            {t('wf.settings.close')}
          </button>
        </div>
      )}
      {s.conflict && <ConflictBanner />}
      <div className="wf-body">
        {!readOnly && !diff && <Palette catalogue={catalogue} hasStart={draft.nodes.some((n) => n.type === 'start')} onAdd={(type) => addInView(type)} />}
        {(readOnly || diffVersion) && other?.version !== (viewVersion ?? diffVersion) ? (
          <div className="wf-canvas splash">{otherError ?? t('list.loading')}</div>
        ) : (
        <Canvas
          key={viewVersion ? `v${viewVersion}` : diffVersion ? `d${diffVersion}` : 'draft'}
          doc={canvasDoc}
          catalogue={catalogue}
          problemsByNode={problemsByNode}
          problemEdges={problemEdges}
          highlight={highlight}
          diff={diff}
          readOnly={readOnly || !!diff}
          selected={s.selection}
          onSelect={s.select}
          onMove={s.move}
          onConnect={s.connect}
          onDelete={s.remove}
          onDropNode={(type, at) => s.add(type, at)}
          onNodeClick={(node) => {
            if (panel === 'tester') s.inspect(node);
          }}
          focus={focus}
        />
        )}
        <aside className="wf-side">
          <nav className="wf-tabs" role="tablist">
            {PANELS.map((p) => (
              <button key={p} type="button" role="tab" aria-selected={panel === p} className="wf-tab" onClick={() => setPanel(p)} data-testid="wf-tab" data-panel={p}>
                {t(`wf.panels.${p}`)}
                {p === 'problems' && !readOnly && s.problems.length > 0 && <span className="wf-count">{s.problems.length}</span>}
              </button>
            ))}
          </nav>
          <div className="wf-side-body">
            {panel === 'settings' && diff && (
              <div className="wf-panel">
                <DiffList diff={diff} onFocus={focusNode} />
              </div>
            )}
            {panel === 'settings' &&
              (selectedNode ? (
                <NodeSettings
                  key={selectedNode.id}
                  doc={shown}
                  node={selectedNode}
                  catalogue={catalogue}
                  integrations={s.integrations}
                  categories={s.categories}
                  problems={problemsByNode.get(selectedNode.id) ?? []}
                  readOnly={readOnly || !!diff}
                  onChange={(data, field) => s.setData(selectedNode.id, data, `${selectedNode.id}:${field}`)}
                  onRename={(to) => s.renameNode(selectedNode.id, to)}
                  onDelete={() => s.remove([selectedNode.id], [])}
                  onDone={() => s.select({ nodes: [], edges: [] })}
                />
              ) : (
                <div className="wf-panel">
                  <p className="wf-hint">{s.selection.nodes.length > 1 ? t('wf.settings.many', { count: s.selection.nodes.length }) : t('wf.settings.none')}</p>
                </div>
              ))}
            {panel === 'problems' && <ProblemsPanel problems={readOnly ? [] : s.problems} onFocus={(p) => focusNode(p.node_id ?? draft.edges.find((e) => e.id === p.edge_id)?.source ?? '')} />}
            {panel === 'tester' && <TesterPanel doc={shown} version={viewVersion ?? 'draft'} readOnly={readOnly} />}
            {panel === 'suite' && <SuitePanel version={viewVersion ?? 'draft'} onFocus={focusNode} readOnly={readOnly} />}
            {panel === 'versions' && <VersionsPanel onView={view} viewing={viewVersion ? { version: viewVersion, mode: 'view' } : diffVersion ? { version: diffVersion, mode: 'diff' } : null} />}
          </div>
        </aside>
      </div>
      {publishing && <PublishDialog onClose={() => setPublishing(false)} />}
    </div>
  );

  function addInView(type: string) {
    const el = document.querySelector('.wf-canvas .react-flow__viewport') as HTMLElement | null;
    const m = el?.style.transform.match(/translate\((-?[\d.]+)px,\s*(-?[\d.]+)px\)\s*scale\(([\d.]+)\)/);
    const canvas = document.querySelector('.wf-canvas')?.getBoundingClientRect();
    const [tx, ty, z] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 1];
    const cx = ((canvas?.width ?? 800) / 2 - tx) / z;
    const cy = ((canvas?.height ?? 600) / 2 - ty) / z;
    const n = draft.nodes.length;
    s.add(type, { x: cx - 110 + (n % 5) * 24, y: cy - 40 + (n % 5) * 24 });
  }
}

function SaveStatus() {
  const { t } = useTranslation();
  const state = useStudio((s) => s.saveState);
  const error = useStudio((s) => s.saveError);
  return (
    <span className={`wf-save wf-save--${state}`} data-testid="wf-save-state" data-state={state} title={error ?? undefined}>
      {t(`wf.save.${state}`)}
    </span>
  );
}

function ConflictBanner() {
  const { t } = useTranslation();
  const conflict = useStudio((s) => s.conflict)!;
  const resolve = useStudio((s) => s.resolveConflict);
  return (
    <div className="wf-banner wf-banner--conflict" role="alert" data-testid="wf-conflict" data-their-revision={conflict.revision}>
      <span>{t('wf.conflict.text', { revision: conflict.revision, name: conflict.name })}</span>
      <button type="button" className="text-btn" onClick={() => void resolve(false)} data-testid="wf-conflict-theirs">
        {t('wf.conflict.theirs')}
      </button>
      <button type="button" className="text-btn" onClick={() => void resolve(true)} data-testid="wf-conflict-mine">
        {t('wf.conflict.mine')}
      </button>
    </div>
  );
}

function DiffList({ diff, onFocus }: { diff: ReturnType<typeof diffDocuments>; onFocus(id: string): void }) {
  const { t } = useTranslation();
  const items = [...diff.nodes].filter(([, c]) => c !== 'same' && c !== 'moved');
  if (!items.length) return <p className="wf-ok">{t('wf.diff.none')}</p>;
  return (
    <ul className="wf-diff-list" data-testid="wf-diff-list">
      {items.map(([id, c]) => (
        <li key={id} className={`diff-${c}`}>
          <button type="button" className="text-btn" onClick={() => onFocus(id)}>
            <code>{id}</code> — {t(`wf.diff.${c}`)}
            {diff.fields.get(id) && <span className="wf-hint"> ({diff.fields.get(id)!.join(', ')})</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Publishing: a note, the suite run first (a failing suite warns), then the new version. */
function PublishDialog({ onClose }: { onClose(): void }) {
  const { t } = useTranslation();
  const tests = useStudio((s) => s.tests);
  const runSuite = useStudio((s) => s.runSuite);
  const publish = useStudio((s) => s.publish);
  const [note, setNote] = useState('');
  const [checking, setChecking] = useState(tests.length > 0);
  const [failed, setFailed] = useState<number>(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!tests.length) return;
    void runSuite('draft').then((r) => {
      setFailed(r?.failed ?? 0);
      setChecking(false);
    });
  }, [tests.length, runSuite]);
  return (
    <div className="wf-dialog-back" role="presentation" onClick={onClose}>
      <div className="wf-dialog" role="dialog" aria-label={t('wf.publish.title')} onClick={(e) => e.stopPropagation()} data-testid="wf-publish-dialog">
        <h2>{t('wf.publish.title')}</h2>
        {checking && <p className="wf-hint">{t('wf.publish.checking')}</p>}
        {!checking && tests.length > 0 && failed === 0 && <p className="wf-ok">{t('wf.publish.suiteOk', { count: tests.length })}</p>}
        {failed > 0 && (
          <p className="wf-problem" data-testid="wf-publish-suite-failed">
            {t('wf.publish.suiteFailed', { count: failed })}
          </p>
        )}
        <label className="wf-field">
          <span className="wf-field-label">{t('wf.publish.note')}</span>
          <textarea rows={3} value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('wf.publish.notePlaceholder')} data-testid="wf-publish-note" />
        </label>
        {error && <p className="wf-problem">{error}</p>}
        <div className="wf-dialog-actions">
          <button type="button" className="text-btn" onClick={onClose}>
            {t('wf.publish.cancel')}
          </button>
          <button
            type="button"
            className={failed > 0 ? 'wf-danger' : 'wf-primary'}
            disabled={checking || busy}
            data-testid="wf-publish-confirm"
            onClick={() => {
              setBusy(true);
              publish(note)
                .then(onClose)
                .catch((e) => {
                  setError(errorText(e));
                  setBusy(false);
                });
            }}
          >
            {failed > 0 ? t('wf.publish.anyway') : t('wf.publish.confirm')}
          </button>
        </div>
      </div>
    </div>
  );
}
