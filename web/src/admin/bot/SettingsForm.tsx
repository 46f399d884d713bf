// The conversation's limits: the confidence the bot needs to answer (one for every intent that sets
// none, complaints and urgent requests aside), how many clarifying questions and "не понял" answers
// come before a person takes over, and the knowledge base's thresholds.
import { useTranslation } from 'react-i18next';
import { countValue, knowledgeValue, num, setField, setKnowledge, TYPE_THRESHOLDS, type BotDocument } from './logic/document';
import { pct, pointAt, reportState, threshold } from './logic/report';
import { NumberField, useFieldError } from './fields';
import { useBot } from './store';

export function SettingsForm(p: { doc: BotDocument }) {
  const { t } = useTranslation();
  const edit = useBot((s) => s.edit);
  const global = num(p.doc.confidence_threshold);
  return (
    <div className="adm-block bot-block" data-testid="bot-settings">
      <h2>{t('bot.settings.title')}</h2>
      <div className="bot-grid">
        <NumberField
          path="confidence_threshold"
          label={t('bot.settings.confidence')}
          value={global}
          kind="unit"
          onChange={(v) => edit((d) => setField(d, 'confidence_threshold', v))}
          placeholder={t('bot.settings.byType')}
          testId="bot-confidence"
          hint={global === null ? t('bot.settings.byTypeHint', { types: defaultsText(t) }) : <ThresholdEffect value={global} />}
        >
          <input
            type="range"
            min={0}
            max={1}
            step={0.01}
            value={global ?? 0.7}
            className={global === null ? 'bot-range unset' : 'bot-range'}
            aria-label={t('bot.settings.confidence')}
            onChange={(e) => edit((d) => setField(d, 'confidence_threshold', Number(e.target.value)))}
            data-testid="bot-confidence-range"
          />
          {global !== null && (
            <button type="button" className="text-btn" onClick={() => edit((d) => setField(d, 'confidence_threshold', undefined))} data-testid="bot-confidence-reset">
              {t('bot.settings.reset')}
            </button>
          )}
        </NumberField>
        <NumberField
          path="max_clarify"
          label={t('bot.settings.maxClarify')}
          value={countValue(p.doc, 'max_clarify')}
          kind="count"
          onChange={(v) => edit((d) => setField(d, 'max_clarify', v))}
          testId="bot-max-clarify"
          hint={t('bot.settings.maxClarifyHint')}
        />
        <NumberField
          path="max_fallbacks"
          label={t('bot.settings.maxFallbacks')}
          value={countValue(p.doc, 'max_fallbacks')}
          kind="count"
          onChange={(v) => edit((d) => setField(d, 'max_fallbacks', v))}
          testId="bot-max-fallbacks"
          hint={t('bot.settings.maxFallbacksHint')}
        />
      </div>
      <KnowledgeError />
      <h3>{t('bot.settings.knowledge')}</h3>
      <div className="bot-grid">
        <NumberField
          path="knowledge.top_k"
          label={t('bot.settings.topK')}
          value={knowledgeValue(p.doc, 'top_k')}
          kind="count"
          onChange={(v) => edit((d) => setKnowledge(d, 'top_k', v))}
          testId="bot-top-k"
          hint={t('bot.settings.topKHint')}
        />
        <NumberField
          path="knowledge.answer_threshold"
          label={t('bot.settings.answerThreshold')}
          value={knowledgeValue(p.doc, 'answer_threshold')}
          kind="unit"
          onChange={(v) => edit((d) => setKnowledge(d, 'answer_threshold', v))}
          testId="bot-answer-threshold"
          hint={t('bot.settings.answerThresholdHint')}
        />
        <NumberField
          path="knowledge.direct_threshold"
          label={t('bot.settings.directThreshold')}
          value={knowledgeValue(p.doc, 'direct_threshold')}
          kind="unit"
          onChange={(v) => edit((d) => setKnowledge(d, 'direct_threshold', v))}
          testId="bot-direct-threshold"
          hint={t('bot.settings.directThresholdHint')}
        />
      </div>
    </div>
  );
}

function defaultsText(t: (k: string) => string): string {
  return (['status_check', 'faq', 'data_change', 'other'] as const).map((k) => `${t(`bot.type.${k}`).toLowerCase()} ${threshold(TYPE_THRESHOLDS[k])}`).join(', ');
}

/** A problem of the knowledge settings as a whole (`knowledge`), if the server names one. */
function KnowledgeError() {
  const error = useFieldError('knowledge');
  return error ? (
    <p className="adm-field-error" data-testid="field-error" data-field="knowledge">
      {error}
    </p>
  ) : null;
}

/** What the newest measured version's curve says of this threshold. */
function ThresholdEffect(p: { value: number }) {
  const { t } = useTranslation();
  const latest = useBot((s) => s.status?.latest?.version ?? null);
  const detail = useBot((s) => (latest === null ? undefined : s.details[latest]));
  const r = reportState(detail?.report);
  const point = r.kind === 'ready' ? pointAt(r.report.curve, p.value) : null;
  return (
    <>
      {t('bot.settings.globalHint')}
      {point && latest !== null && (
        <>
          {' '}
          {t('bot.settings.effect', { n: latest, threshold: threshold(point.threshold ?? p.value), coverage: pct(point.coverage), error: pct(point.error) })}
        </>
      )}
    </>
  );
}
