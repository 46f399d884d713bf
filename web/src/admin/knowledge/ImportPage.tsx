// Imports, each previewed before anything is written: a JSON, CSV or Markdown file, or an
// OpenCart / ocStore shop — from its database or from an SQL dump. The preview is the server's dry
// run of the very same request; confirming sends it again for real.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ImportPreview } from './ImportPreview';
import { useKbCategories } from './categories';
import { importFile, importOpencart, importOpencartDump, type KbFileFormat, type KbImportResult, type KbOpencartSettings } from './api';
import { kbErrorText } from './logic/errors';
import { canConfirm, kindOfFile } from './logic/importPlan';

type Source = 'file' | 'opencart-db' | 'opencart-dump';

/** One import, run as a preview first: `run(true)` previews, `run(false)` imports. */
type Run = (dryRun: boolean) => Promise<KbImportResult>;

export function ImportPage() {
  const { t } = useTranslation();
  const [source, setSource] = useState<Source>('file');
  return (
    <div className="kb-page-body kb-import-page" data-testid="kb-import">
      <p className="admin-placeholder">{t('kb.import.intro')}</p>
      <div className="kb-side-tabs" role="tablist">
        {(['file', 'opencart-db', 'opencart-dump'] as const).map((s) => (
          <button key={s} type="button" role="tab" aria-selected={source === s} className="kb-tab" onClick={() => setSource(s)} data-testid={`kb-import-source-${s}`}>
            {t(`kb.import.sources.${s}`)}
          </button>
        ))}
      </div>
      {source === 'file' && <FileImport />}
      {source === 'opencart-db' && <OpencartDatabaseImport />}
      {source === 'opencart-dump' && <OpencartDumpImport />}
    </div>
  );
}

/** The preview → confirm flow every source shares. */
function useImport() {
  const reloadCategories = useKbCategories((s) => s.load);
  const [run, setRun] = useState<Run | null>(null);
  const [result, setResult] = useState<KbImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const go = async (r: Run, dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const out = await r(dryRun);
      setResult(out);
      setRun(dryRun ? () => r : null);
      if (!dryRun) void reloadCategories();
    } catch (e) {
      setError(kbErrorText(e));
      if (dryRun) setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return {
    result,
    error,
    busy,
    preview: (r: Run) => go(r, true),
    confirm: () => run && go(run, false),
    reset: () => {
      setResult(null);
      setRun(null);
      setError(null);
    },
  };
}

function Outcome(props: { flow: ReturnType<typeof useImport> }) {
  const { t } = useTranslation();
  const { result, error, busy } = props.flow;
  return (
    <>
      {error && (
        <p className="kb-error" role="alert" data-testid="kb-import-error">
          {error}
        </p>
      )}
      {result && <ImportPreview result={result} />}
      {result?.dry_run && (
        <div className="kb-editor-actions">
          <button type="button" className="kb-primary" disabled={busy || !canConfirm(result)} onClick={() => void props.flow.confirm()} data-testid="kb-import-confirm">
            {busy ? t('kb.import.importing') : t('kb.import.confirm')}
          </button>
          <button type="button" className="kb-secondary" disabled={busy} onClick={props.flow.reset} data-testid="kb-import-cancel">
            {t('kb.cancel')}
          </button>
          {!canConfirm(result) && result.problems.length === 0 && <span className="kb-hint">{t('kb.import.nothingToDo')}</span>}
        </div>
      )}
    </>
  );
}

function FileImport() {
  const { t } = useTranslation();
  const categories = useKbCategories((s) => s.list);
  const flow = useImport();
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [format, setFormat] = useState<KbFileFormat>('json');
  const [category, setCategory] = useState('');
  const [readError, setReadError] = useState<string | null>(null);
  const mdCategory = category || categories[0]?.key || '';

  const start = () => {
    if (!file) return;
    const f = file;
    const fmt = format;
    const cat = mdCategory;
    void flow.preview((dryRun) => importFile(f.text, fmt, { category: cat, dryRun }));
  };

  return (
    <div className="kb-import-form" data-testid="kb-import-file-form">
      <p className="kb-hint">{t('kb.import.fileHint')}</p>
      <div className="kb-field-row">
        <label className="kb-field">
          <span className="kb-label">{t('kb.import.file')}</span>
          <input
            type="file"
            accept=".json,.csv,.md,.markdown,.txt,application/json,text/csv,text/markdown,text/plain"
            data-testid="kb-import-file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              flow.reset();
              setReadError(null);
              if (!f) return setFile(null);
              const kind = kindOfFile(f.name);
              if (kind === 'opencart-dump') {
                setReadError(t('kb.import.dumpHere'));
                return setFile(null);
              }
              if (kind) setFormat(kind);
              setFile({ name: f.name, text: await f.text() });
            }}
          />
        </label>
        <label className="kb-field">
          <span className="kb-label">{t('kb.import.format')}</span>
          <select value={format} onChange={(e) => (setFormat(e.target.value as KbFileFormat), flow.reset())} data-testid="kb-import-format">
            <option value="json">JSON</option>
            <option value="csv">CSV</option>
            <option value="markdown">Markdown</option>
          </select>
        </label>
        {format === 'markdown' && (
          <label className="kb-field">
            <span className="kb-label">{t('kb.import.mdCategory')}</span>
            <select value={mdCategory} onChange={(e) => (setCategory(e.target.value), flow.reset())} data-testid="kb-import-category">
              {categories.map((c) => (
                <option key={c.key} value={c.key}>
                  {c.title}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <p className="kb-hint">{t(`kb.import.formatHelp.${format}`)}</p>
      {readError && <p className="kb-error">{readError}</p>}
      <button type="button" className="kb-primary" disabled={!file || flow.busy || (format === 'markdown' && !mdCategory)} onClick={start} data-testid="kb-import-preview-run">
        {flow.busy && !flow.result ? t('kb.import.previewing') : t('kb.import.preview')}
      </button>
      <Outcome flow={flow} />
    </div>
  );
}

function ShopSettings(props: { value: KbOpencartSettings; onChange: (s: KbOpencartSettings) => void }) {
  const { t } = useTranslation();
  return (
    <>
      <label className="kb-field">
        <span className="kb-label">{t('kb.import.prefix')}</span>
        <input value={props.value.prefix} onChange={(e) => props.onChange({ ...props.value, prefix: e.target.value })} data-testid="kb-import-prefix" spellCheck={false} />
      </label>
      <label className="kb-field">
        <span className="kb-label">{t('kb.import.language')}</span>
        <input
          type="number"
          min={1}
          value={props.value.language_id}
          onChange={(e) => props.onChange({ ...props.value, language_id: Math.max(1, Math.trunc(Number(e.target.value)) || 1) })}
          data-testid="kb-import-language"
        />
      </label>
    </>
  );
}

const DEFAULT_SHOP: KbOpencartSettings = { prefix: 'oc_', language_id: 1 };

function OpencartDatabaseImport() {
  const { t } = useTranslation();
  const flow = useImport();
  const [url, setUrl] = useState('');
  const [settings, setSettings] = useState(DEFAULT_SHOP);
  return (
    <form
      className="kb-import-form"
      data-testid="kb-import-db-form"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        const u = url.trim();
        const s = settings;
        void flow.preview((dryRun) => importOpencart(u, s, dryRun));
      }}
    >
      <p className="kb-hint">{t('kb.import.dbHint')}</p>
      <label className="kb-field">
        <span className="kb-label">{t('kb.import.databaseUrl')}</span>
        <input value={url} onChange={(e) => (setUrl(e.target.value), flow.reset())} placeholder="mysql://user:password@127.0.0.1:3306/shop" data-testid="kb-import-db-url" spellCheck={false} autoComplete="off" />
      </label>
      <div className="kb-field-row">
        <ShopSettings value={settings} onChange={(s) => (setSettings(s), flow.reset())} />
      </div>
      <button type="submit" className="kb-primary" disabled={!url.trim() || flow.busy} data-testid="kb-import-preview-run">
        {flow.busy && !flow.result ? t('kb.import.previewing') : t('kb.import.preview')}
      </button>
      <Outcome flow={flow} />
    </form>
  );
}

function OpencartDumpImport() {
  const { t } = useTranslation();
  const flow = useImport();
  const [dump, setDump] = useState<File | null>(null);
  const [settings, setSettings] = useState(DEFAULT_SHOP);
  return (
    <div className="kb-import-form" data-testid="kb-import-dump-form">
      <p className="kb-hint">{t('kb.import.dumpHint')}</p>
      <div className="kb-field-row">
        <label className="kb-field">
          <span className="kb-label">{t('kb.import.dumpFile')}</span>
          <input type="file" accept=".sql,application/sql,text/plain" data-testid="kb-import-dump" onChange={(e) => (setDump(e.target.files?.[0] ?? null), flow.reset())} />
        </label>
        <ShopSettings value={settings} onChange={(s) => (setSettings(s), flow.reset())} />
      </div>
      <button
        type="button"
        className="kb-primary"
        disabled={!dump || flow.busy}
        onClick={() => {
          if (!dump) return;
          const d = dump;
          const s = settings;
          void flow.preview((dryRun) => importOpencartDump(d, s, dryRun));
        }}
        data-testid="kb-import-preview-run"
      >
        {flow.busy && !flow.result ? t('kb.import.previewing') : t('kb.import.preview')}
      </button>
      <Outcome flow={flow} />
    </div>
  );
}
