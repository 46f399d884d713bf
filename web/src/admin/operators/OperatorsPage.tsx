// «Операторы»: who can sign in to the messenger, with which role; new operators, new passwords,
// and turning an operator off (the server keeps their messages attributed and ends their sessions).
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { serverMessage } from '../forms/fieldErrors';
import { createOperator, listOperators, updateOperator } from './api';
import { OperatorCreateForm } from './OperatorCreateForm';
import { OperatorRow } from './OperatorRow';
import '../forms/forms.css';

export function OperatorsPage() {
  const { t } = useTranslation();
  const me = useSession((s) => s.me);
  const [operators, setOperators] = useState<Operator[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      setOperators(await listOperators());
    } catch (e) {
      setLoadError(serverMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const changed = (op: Operator) => setOperators((list) => (list ?? []).map((o) => (o.id === op.id ? op : o)));

  return (
    <section className="admin-section" data-testid="admin-section" data-section="operators">
      <h1>{t('admin.sections.operators.title')}</h1>
      <p className="adm-intro">{t('operators.intro')}</p>
      {!operators && !loadError && <p className="adm-loading">{t('adminForms.loading')}</p>}
      {loadError && (
        <div className="adm-actions">
          <p className="adm-form-error" role="alert" data-testid="operators-error">
            {loadError}
          </p>
          <button type="button" className="adm-btn" onClick={() => void load()}>
            {t('adminForms.retry')}
          </button>
        </div>
      )}
      {operators && (
        <div className="adm-block">
          <table className="adm-table" data-testid="operators-list">
            <thead>
              <tr>
                <th>{t('operators.who')}</th>
                <th>{t('operators.role')}</th>
                <th>{t('operators.state')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {operators.map((op) => (
                <OperatorRow key={op.id} operator={op} isSelf={op.id === me?.id} onUpdate={updateOperator} onChanged={changed} />
              ))}
            </tbody>
          </table>
          {operators.length === 0 && <p className="adm-empty">{t('operators.none')}</p>}
        </div>
      )}
      <div className="adm-block">
        <OperatorCreateForm onCreate={createOperator} onCreated={(op) => setOperators((list) => [...(list ?? []), op])} />
      </div>
    </section>
  );
}
