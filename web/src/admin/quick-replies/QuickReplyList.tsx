// One group of quick replies (the shared bank, or the admin's own): each with its text, edited in
// place, removed after a confirmation.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QuickReply } from '../../shared/api/types';
import { ConfirmButton } from '../forms/ConfirmButton';
import { serverMessage } from '../forms/fieldErrors';
import type { QuickReplyRequest } from './api';
import { QuickReplyEditor } from './QuickReplyEditor';

export function QuickReplyList(props: {
  group: 'shared' | 'mine';
  replies: QuickReply[];
  operatorName: string | undefined;
  onUpdate: (id: number, req: QuickReplyRequest) => Promise<QuickReply>;
  onDelete: (id: number) => Promise<void>;
  onChanged: (q: QuickReply) => void;
  onDeleted: (id: number) => void;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<{ id: number; text: string } | null>(null);
  if (props.replies.length === 0) return <p className="adm-empty">{t(`qr.none.${props.group}`)}</p>;
  return (
    <div className="adm-cards" data-testid={`qr-list-${props.group}`}>
      {props.replies.map((q) =>
        editing === q.id ? (
          <QuickReplyEditor
            key={q.id}
            editing={q}
            operatorName={props.operatorName}
            onSave={(req) => props.onUpdate(q.id, req)}
            onSaved={(saved) => {
              props.onChanged(saved);
              setEditing(null);
            }}
            onCancel={() => setEditing(null)}
          />
        ) : (
          <article key={q.id} className="adm-card" data-testid="qr-item" data-id={q.id}>
            <div className="adm-card-head">
              <h3>{q.title}</h3>
            </div>
            <p className="qr-text-view">{q.text}</p>
            <div className="adm-actions">
              <button type="button" className="adm-btn" onClick={() => setEditing(q.id)} data-testid="qr-edit">
                {t('qr.edit')}
              </button>
              <ConfirmButton
                label={t('qr.delete')}
                question={t('qr.deleteQuestion', { title: q.title })}
                testId="qr-delete"
                onConfirm={async () => {
                  setError(null);
                  try {
                    await props.onDelete(q.id);
                    props.onDeleted(q.id);
                  } catch (e) {
                    setError({ id: q.id, text: serverMessage(e) });
                  }
                }}
              />
              {error?.id === q.id && (
                <p className="adm-form-error" role="alert">
                  {error.text}
                </p>
              )}
            </div>
          </article>
        ),
      )}
    </div>
  );
}
