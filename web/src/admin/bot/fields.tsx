// The «Бот» editor's inputs: each is one field of the document, named by its path in it
// (`intents[2].examples`), with the problems the server reported for that path under it.
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../forms/Field';
import { cleanLines, linesText, parseNumber } from './logic/document';
import { problemText, problemsAt } from './logic/problems';
import { useBot } from './store';

/** The server's problems at `path`, in Russian, one after another. */
export function useFieldError(path: string): string | undefined {
  const { t } = useTranslation();
  const problems = useBot((s) => s.problems);
  const here = problemsAt(problems, path);
  return here.length ? here.map((p) => problemText(t, p.message)).join('; ') : undefined;
}

const join = (...parts: (string | undefined | null)[]) => parts.filter(Boolean).join('; ') || undefined;

export function TextInput(p: { path: string; label: string; value: string; onChange(v: string): void; testId: string; hint?: ReactNode; placeholder?: string; multiline?: boolean }) {
  const error = useFieldError(p.path);
  return (
    <Field name={p.path} label={p.label} error={error} hint={p.hint}>
      {(c) =>
        p.multiline ? (
          <textarea {...c} className="bot-text" value={p.value} placeholder={p.placeholder} onChange={(e) => p.onChange(e.target.value)} data-testid={p.testId} rows={3} />
        ) : (
          <input {...c} value={p.value} placeholder={p.placeholder} onChange={(e) => p.onChange(e.target.value)} data-testid={p.testId} />
        )
      }
    </Field>
  );
}

export type NumberKind = 'unit' | 'count';

/** A number as the input shows it: a decimal comma in Russian. */
const shown = (v: number | null, lang: string) => (v === null ? '' : lang.startsWith('ru') ? String(v).replace('.', ',') : String(v));

/**
 * A number of the document typed as text (so «0,85» and a half-typed «0.» are fine). A threshold
 * (`unit`) is written as typed, out of range too, for the server to refuse at its field; a count
 * only when it is a whole number from 0 (anything else would not be a configuration at all).
 */
export function NumberField(p: {
  path: string;
  label: string;
  value: number | null;
  onChange(v: number | undefined): void;
  kind: NumberKind;
  testId: string;
  placeholder?: string;
  hint?: ReactNode;
  children?: ReactNode;
}) {
  const { t, i18n } = useTranslation();
  const serverError = useFieldError(p.path);
  const [text, setText] = useState(shown(p.value, i18n.language));
  const [local, setLocal] = useState<string | null>(null);
  // A change from elsewhere (a slider, a reload) shows here; what is being typed stays.
  useEffect(() => {
    if (parseNumber(text) !== p.value) {
      setText(shown(p.value, i18n.language));
      setLocal(null);
    }
  }, [p.value]); // eslint-disable-line react-hooks/exhaustive-deps -- only a change of the value
  const typed = (raw: string) => {
    setText(raw);
    const n = parseNumber(raw);
    if (n === 'invalid') {
      setLocal(t('bot.field.notNumber'));
      return;
    }
    if (p.kind === 'count' && n !== null && (!Number.isInteger(n) || n < 0)) {
      setLocal(t('bot.field.notCount'));
      return;
    }
    setLocal(p.kind === 'unit' && n !== null && (n < 0 || n > 1) ? t('bot.problem.unit') : null);
    p.onChange(n === null ? undefined : n);
  };
  return (
    <Field name={p.path} label={p.label} error={join(local, serverError)} hint={p.hint}>
      {(c) => (
        <div className="bot-number">
          <input {...c} inputMode={p.kind === 'count' ? 'numeric' : 'decimal'} value={text} placeholder={p.placeholder} onChange={(e) => typed(e.target.value)} data-testid={p.testId} />
          {p.children}
        </div>
      )}
    </Field>
  );
}

/** A list of phrases, one a line; the count of what would be kept under it. */
export function LinesField(p: { path: string; label: string; value: string[]; onChange(v: string[]): void; testId: string; hint?: (count: number) => ReactNode; rows?: number }) {
  const error = useFieldError(p.path);
  const [text, setText] = useState(linesText(p.value));
  useEffect(() => {
    if (linesText(cleanLines(text)) !== linesText(p.value)) setText(linesText(p.value));
  }, [p.value]); // eslint-disable-line react-hooks/exhaustive-deps -- only a change of the value
  const count = cleanLines(text).length;
  return (
    <Field name={p.path} label={p.label} error={error} hint={p.hint?.(count)}>
      {(c) => (
        <textarea
          {...c}
          className="bot-lines"
          rows={p.rows ?? 6}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            p.onChange(cleanLines(e.target.value));
          }}
          data-testid={p.testId}
          data-count={count}
        />
      )}
    </Field>
  );
}
