// «Бот»: the built-in bot's configuration — thresholds and limits, intents with their examples and
// answers, the texts — edited as a draft and published as versions, which train in the background
// while the previous one answers; the figures of each version and the way back to an older one;
// and the language model's settings (LlmPanel), saved on their own, outside the versions.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useKbCategories } from '../knowledge/categories';
import { DraftBar, StatusLine } from './DraftBar';
import { FiguresPanel } from './FiguresPanel';
import { IntentsEditor } from './IntentsEditor';
import { LlmPanel } from './LlmPanel';
import { SettingsForm } from './SettingsForm';
import { TextsBlock } from './TextsBlock';
import { VersionsList } from './VersionsList';
import { isDirty, needsPolling, useBot } from './store';
import { useUnsavedGuard } from '../../shared/ui/useUnsavedGuard';
import '../forms/forms.css';
import './bot.css';

/** How often the status is asked while a version trains or its figures are being measured. */
const POLL_MS = 1500;

export function BotPage() {
  const { t } = useTranslation();
  const load = useBot((s) => s.load);
  const refresh = useBot((s) => s.refresh);
  const doc = useBot((s) => s.doc);
  const loadError = useBot((s) => s.loadError);
  const polling = useBot(needsPolling);
  const dirty = useBot(isDirty);
  const refusals = useBot((s) => s.refusals);
  const loadCategories = useKbCategories((s) => s.load);

  useEffect(() => {
    void load();
    void loadCategories();
  }, [load, loadCategories]);

  useEffect(() => {
    if (!polling) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    timer = setTimeout(() => void tick(), POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [polling, refresh]);

  // After a refusal, the first problem in view.
  useEffect(() => {
    if (refusals === 0) return;
    const id = requestAnimationFrame(() => {
      document.querySelector('.bot-editor .adm-field.invalid, .bot-editor .bot-intent.invalid')?.scrollIntoView({ block: 'center' });
    });
    return () => cancelAnimationFrame(id);
  }, [refusals]);

  useUnsavedGuard(dirty, t('bot.leaveUnsaved'));

  return (
    <section className="admin-section bot-section" data-testid="admin-section" data-section="bot">
      <h1>{t('admin.sections.bot.title')}</h1>
      <p className="adm-intro">{t('bot.intro')}</p>
      {loadError && (
        <div className="adm-actions">
          <p className="adm-form-error" role="alert" data-testid="bot-load-error">
            {loadError}
          </p>
          <button type="button" className="adm-btn" onClick={() => void load()}>
            {t('adminForms.retry')}
          </button>
        </div>
      )}
      {!doc && !loadError && <p className="adm-loading">{t('adminForms.loading')}</p>}
      {doc && (
        <>
          <div className="bot-sticky">
            <StatusLine />
            <DraftBar doc={doc} />
          </div>
          <div className="bot-columns">
            <div className="bot-editor" data-testid="bot-editor">
              <SettingsForm doc={doc} />
              <IntentsEditor doc={doc} />
              <TextsBlock doc={doc} />
              <LlmPanel />
            </div>
            <aside className="bot-aside">
              <FiguresPanel />
              <VersionsList />
            </aside>
          </div>
        </>
      )}
    </section>
  );
}
