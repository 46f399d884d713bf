// The check as a page of its own: questions against the saved knowledge base.
import { useTranslation } from 'react-i18next';
import { CheckPanel } from './CheckPanel';

export function CheckPage() {
  const { t } = useTranslation();
  return (
    <div className="kb-page-body kb-check-page">
      <p className="admin-placeholder">{t('kb.check.intro')}</p>
      <CheckPanel />
    </div>
  );
}
