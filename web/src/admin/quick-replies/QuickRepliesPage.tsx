// «Быстрые ответы»: the shared bank every operator's ⚡ panel offers, and the admin's own replies;
// placeholders explained and previewed as the composer fills them.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QuickReply } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { serverMessage } from '../forms/fieldErrors';
import { createQuickReply, deleteQuickReply, listQuickReplies, updateQuickReply } from './api';
import { QuickReplyEditor } from './QuickReplyEditor';
import { OthersReplies } from './OthersReplies';
import { QuickReplyList } from './QuickReplyList';
import { splitQuickReplies } from './quickReplyForm';
import '../forms/forms.css';
import './quick-replies.css';

export function QuickRepliesPage() {
  const { t } = useTranslation();
  const me = useSession((s) => s.me);
  const [replies, setReplies] = useState<QuickReply[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      setReplies(await listQuickReplies());
    } catch (e) {
      setLoadError(serverMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const changed = (q: QuickReply) => setReplies((list) => (list ?? []).map((r) => (r.id === q.id ? q : r)));
  const deleted = (id: number) => setReplies((list) => (list ?? []).filter((r) => r.id !== id));
  const groups = splitQuickReplies(replies ?? [], me?.id);
  const list = (group: 'shared' | 'mine') => (
    <QuickReplyList
      group={group}
      replies={groups[group]}
      operatorName={me?.display_name}
      onUpdate={updateQuickReply}
      onDelete={async (id) => {
        await deleteQuickReply(id);
      }}
      onChanged={changed}
      onDeleted={deleted}
    />
  );

  return (
    <section className="admin-section" data-testid="admin-section" data-section="quickReplies">
      <h1>{t('admin.sections.quickReplies.title')}</h1>
      <p className="adm-intro">{t('qr.intro')}</p>
      <div className="adm-block">
        <QuickReplyEditor operatorName={me?.display_name} onSave={createQuickReply} onSaved={(q) => setReplies((list) => [...(list ?? []), q])} />
      </div>
      {!replies && !loadError && <p className="adm-loading">{t('adminForms.loading')}</p>}
      {loadError && (
        <div className="adm-actions">
          <p className="adm-form-error" role="alert" data-testid="qr-load-error">
            {loadError}
          </p>
          <button type="button" className="adm-btn" onClick={() => void load()}>
            {t('adminForms.retry')}
          </button>
        </div>
      )}
      {replies && (
        <>
          <div className="adm-block">
            <h2>{t('qr.sharedTitle')}</h2>
            {list('shared')}
          </div>
          <div className="adm-block">
            <h2>{t('qr.mineTitle')}</h2>
            <p className="adm-hint">{t('qr.mineHint')}</p>
            {list('mine')}
          </div>
          <OthersReplies me={me?.id} />
        </>
      )}
    </section>
  );
}
