// A text's diff: removed words struck through, added ones marked, long unchanged stretches cut.
import { useTranslation } from 'react-i18next';
import { condense, type DiffPart } from './logic/textDiff';

export function TextDiff(props: { parts: DiffPart[] }) {
  const { t } = useTranslation();
  return (
    <div className="kb-diff" data-testid="kb-diff">
      {condense(props.parts).map((p, i) =>
        p.kind === 'gap' ? (
          <span key={i} className="kb-diff-gap" aria-label={t('kb.history.unchangedCut')}>
            {' … '}
          </span>
        ) : p.kind === 'same' ? (
          <span key={i}>{p.text}</span>
        ) : p.kind === 'added' ? (
          <ins key={i}>{p.text}</ins>
        ) : (
          <del key={i}>{p.text}</del>
        ),
      )}
    </div>
  );
}
