// «Проверить»: a customer's question, what retrieval finds for it (each fragment's article, score
// and confidence against the bot's thresholds) and what the bot would answer — optionally as if
// the article being edited were saved.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { intentLabel, reasonLabel } from '../../shared/i18n/labels';
import { categoryTitle, useKbCategories } from './categories';
import { checkQuestion, type KbCheckDraft, type KbCheckResult } from './api';
import { confidenceLevel, formatScore, percent } from './logic/check';
import { kbErrorText } from './logic/errors';

export function CheckPanel(props: {
  /** The unsaved article, when the check is made from its editor (`null`: it is not complete). */
  draft?: KbCheckDraft | null;
  initialQuestion?: string;
}) {
  const { t, i18n } = useTranslation();
  const categories = useKbCategories((s) => s.list);
  const [question, setQuestion] = useState(props.initialQuestion ?? '');
  const [category, setCategory] = useState('');
  const [withDraft, setWithDraft] = useState(true);
  const [result, setResult] = useState<KbCheckResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fromEditor = props.draft !== undefined;

  const run = async () => {
    if (!question.trim()) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await checkQuestion(question.trim(), { category, draft: fromEditor && withDraft ? props.draft : null }));
    } catch (e) {
      setError(kbErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  const exists = (k: string) => i18n.exists(k);
  return (
    <div className="kb-check" data-testid="kb-check">
      <form
        className="kb-check-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <textarea
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void run();
            }
          }}
          placeholder={t('kb.check.placeholder')}
          aria-label={t('kb.check.question')}
          data-testid="kb-check-question"
          maxLength={500}
          rows={2}
        />
        <div className="kb-check-options">
          <select value={category} onChange={(e) => setCategory(e.target.value)} aria-label={t('kb.check.category')} data-testid="kb-check-category">
            <option value="">{t('kb.check.anyCategory')}</option>
            {categories.map((c) => (
              <option key={c.key} value={c.key}>
                {c.title}
              </option>
            ))}
          </select>
          {fromEditor && (
            <label className="kb-checkbox" title={props.draft ? undefined : t('kb.check.draftIncomplete')}>
              <input type="checkbox" checked={withDraft && props.draft !== null} disabled={props.draft === null} onChange={(e) => setWithDraft(e.target.checked)} data-testid="kb-check-with-draft" />
              {t('kb.check.withDraft')}
            </label>
          )}
          <button type="submit" className="kb-primary" disabled={busy || !question.trim()} data-testid="kb-check-run">
            {busy ? t('kb.check.running') : t('kb.check.run')}
          </button>
        </div>
      </form>
      {error && (
        <p className="kb-error" role="alert" data-testid="kb-check-error">
          {error}
        </p>
      )}
      {result && (
        <div className="kb-check-result" data-testid="kb-check-result">
          <section className="kb-check-answer" data-testid="kb-check-answer" data-action={result.answer?.action ?? 'off'}>
            <h3>{t('kb.check.botWould')}</h3>
            {result.answer === null ? (
              <p className="kb-hint">{t('kb.check.botOff')}</p>
            ) : (
              <>
                <p className="kb-check-action">
                  <strong>{exists(`kb.check.action.${result.answer.action}`) ? t(`kb.check.action.${result.answer.action}`) : result.answer.action}</strong>
                  {result.answer.stage && <span className="kb-hint"> · {exists(`kb.check.stage.${result.answer.stage}`) ? t(`kb.check.stage.${result.answer.stage}`) : result.answer.stage}</span>}
                  {result.answer.intent && <span className="kb-hint"> · {t('kb.check.intent', { intent: intentLabel(t, exists, result.answer.intent) })}</span>}
                  {result.answer.confidence !== null && <span className="kb-hint"> · {percent(result.answer.confidence)}</span>}
                  {result.answer.handoff_reason && <span className="kb-hint"> · {reasonLabel(t, exists, result.answer.handoff_reason)}</span>}
                </p>
                {result.answer.text && (
                  <blockquote className="kb-check-text" data-testid="kb-check-answer-text">
                    {result.answer.text}
                  </blockquote>
                )}
                {result.answer.article_ids.length > 0 && (
                  <p className="kb-hint">
                    {t('kb.check.from')}{' '}
                    {result.answer.article_ids.map((k) => (
                      <Link key={k} to={`/admin/knowledge/articles/${encodeURIComponent(k)}`} className="kb-key">
                        {k}{' '}
                      </Link>
                    ))}
                  </p>
                )}
                {result.answer.note && <p className="kb-hint kb-note">{result.answer.note}</p>}
              </>
            )}
          </section>
          <section>
            <h3>{t('kb.check.fragments', { count: result.fragments.length })}</h3>
            {result.answer_threshold !== null && result.direct_threshold !== null && (
              <p className="kb-hint">{t('kb.check.thresholds', { answer: percent(result.answer_threshold), direct: percent(result.direct_threshold) })}</p>
            )}
            {result.fragments.length === 0 && <p className="kb-empty">{t('kb.check.noFragments')}</p>}
            <ol className="kb-fragments" data-testid="kb-fragments">
              {result.fragments.map((f, i) => {
                const level = confidenceLevel(f.confidence, result);
                return (
                  <li key={`${f.article_key}-${i}`} className={`kb-fragment${f.used ? ' used' : ''}`} data-testid="kb-fragment" data-article={f.article_key} data-used={f.used}>
                    <div className="kb-fragment-head">
                      <Link to={`/admin/knowledge/articles/${encodeURIComponent(f.article_key)}`}>{f.title}</Link>
                      <span className="kb-hint">{categoryTitle(categories, f.category)}</span>
                      {f.draft && <span className="kb-badge kb-badge-draft">{t('kb.check.draft')}</span>}
                      {f.used && <span className="kb-badge kb-badge-used">{t('kb.check.used')}</span>}
                      <span className={`kb-confidence kb-level-${level}`} title={t(`kb.check.level.${level}`)} data-testid="kb-fragment-confidence">
                        {percent(f.confidence)}
                      </span>
                      <span className="kb-hint" title={t('kb.check.scoreHint')}>
                        {t('kb.check.score', { score: formatScore(f.score) })}
                      </span>
                    </div>
                    <p className="kb-fragment-text">{f.text}</p>
                  </li>
                );
              })}
            </ol>
          </section>
        </div>
      )}
    </div>
  );
}
