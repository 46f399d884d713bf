// What the bot says outside the intents' own answers: off-topic replies, the words before a
// handoff, to an upset or hurried customer, and to an attachment without text. Folded away unless
// one of them has a problem.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { REQUIRED_TEXTS, setField, str, TEXT_DEFAULTS, TEXT_FIELDS, type BotDocument } from './logic/document';
import { concerns } from './logic/problems';
import { TextInput } from './fields';
import { useBot } from './store';

export function TextsBlock(p: { doc: BotDocument }) {
  const { t } = useTranslation();
  const edit = useBot((s) => s.edit);
  const problems = useBot((s) => s.problems);
  const refusals = useBot((s) => s.refusals);
  const bad = problems.some((x) => concerns(x, TEXT_FIELDS));
  const [open, setOpen] = useState(bad);
  useEffect(() => {
    if (bad) setOpen(true);
  }, [bad, refusals]);
  return (
    <details className="adm-block bot-block bot-texts" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="bot-texts">
      <summary>
        <h2>{t('bot.texts.title')}</h2>
        {bad && <span className="adm-badge bad">{t('bot.texts.bad')}</span>}
      </summary>
      <div className="bot-grid two">
        {TEXT_FIELDS.map((key) => {
          const required = REQUIRED_TEXTS.includes(key);
          return (
            <TextInput
              key={key}
              path={key}
              label={t(`bot.texts.${key}`)}
              value={str(p.doc[key])}
              multiline
              // A cleared optional text goes back to the engine's default; a required one stays empty for the server to name.
              onChange={(v) => edit((d) => setField(d, key, v.trim() || required ? v : undefined))}
              placeholder={required ? undefined : TEXT_DEFAULTS[key]}
              testId={`bot-text-${key}`}
              hint={required || p.doc[key] !== undefined ? t(`bot.texts.${key}Hint`) : `${t(`bot.texts.${key}Hint`)} ${t('bot.texts.default')}`}
            />
          );
        })}
      </div>
    </details>
  );
}
