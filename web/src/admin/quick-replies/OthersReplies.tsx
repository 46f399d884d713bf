// Each operator's personal replies, for an admin to see what their team uses (read-only: they
// stay their owners' to change). The list is the server's for that operator (`?operator=`).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator, QuickReply } from '../../shared/api/types';
import { serverMessage } from '../forms/fieldErrors';
import { listOperators } from '../operators/api';
import { listQuickReplies } from './api';
import { ownReplies } from './quickReplyForm';

export function OthersReplies(props: { me: number | undefined }) {
  const { t } = useTranslation();
  const [operators, setOperators] = useState<Operator[]>([]);
  const [whose, setWhose] = useState<number | null>(null);
  const [replies, setReplies] = useState<QuickReply[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listOperators()
      .then((list) => setOperators(list.filter((o) => o.id !== props.me)))
      .catch((e: unknown) => setError(serverMessage(e)));
  }, [props.me]);

  useEffect(() => {
    if (whose === null) return;
    let stale = false;
    setReplies(null);
    setError(null);
    listQuickReplies(whose)
      .then((list) => !stale && setReplies(ownReplies(list, whose)))
      .catch((e: unknown) => !stale && setError(serverMessage(e)));
    return () => {
      stale = true;
    };
  }, [whose]);

  return (
    <div className="adm-block" data-testid="qr-others">
      <h2>{t('qr.othersTitle')}</h2>
      <p className="adm-hint">{t('qr.othersHint')}</p>
      <select
        aria-label={t('qr.othersPick')}
        data-testid="qr-others-pick"
        value={whose ?? ''}
        onChange={(e) => setWhose(e.target.value ? Number(e.target.value) : null)}
      >
        <option value="">{t('qr.othersPick')}</option>
        {operators.map((o) => (
          <option key={o.id} value={o.id}>
            {o.display_name} ({o.login})
          </option>
        ))}
      </select>
      {error && (
        <p className="adm-form-error" role="alert">
          {error}
        </p>
      )}
      {whose !== null && replies && replies.length === 0 && <p className="adm-hint">{t('qr.othersNone')}</p>}
      {replies && replies.length > 0 && (
        <ul className="qr-others-list">
          {replies.map((q) => (
            <li key={q.id} data-testid="qr-others-item">
              <strong>{q.title}</strong>
              <div className="adm-meta">{q.text}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
