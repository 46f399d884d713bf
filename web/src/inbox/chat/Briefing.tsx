// The bot's briefing for the operator, pinned above the composer of a chat it handed over: why,
// the topic, what is known, and its note; collapsible.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Handoff } from '../../shared/api/types';
import { intentLabel, reasonLabel, slotLabel } from '../../shared/i18n/labels';

export function Briefing(props: { h: Handoff }) {
  const { t, i18n } = useTranslation();
  const exists = (k: string) => i18n.exists(k);
  const [open, setOpen] = useState(true);
  const h = props.h;
  const slots = Object.entries(h.slots);
  return (
    <div className={'handoff-briefing' + (open ? '' : ' collapsed')} data-testid="handoff-briefing">
      <button type="button" className="briefing-head" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <strong>{t('briefing.title')}:</strong>
        <span>{reasonLabel(t, exists, h.reason)}</span>
        <span className="briefing-toggle">{open ? t('briefing.hide') : t('briefing.show')}</span>
      </button>
      {open && (
        <div className="briefing-body">
          {h.intent && (
            <div>
              <b>{t('briefing.intent')}:</b> {intentLabel(t, exists, h.intent)}
            </div>
          )}
          {h.summary && (
            <div>
              <b>{t('briefing.summary')}:</b> {h.summary}
            </div>
          )}
          {slots.length > 0 && (
            <div>
              <b>{t('briefing.slots')}:</b> {slots.map(([k, v]) => `${slotLabel(t, exists, k)}: ${v}`).join(', ')}
            </div>
          )}
          {h.briefing && (
            <div className="briefing-text">
              <b>{t('briefing.text')}:</b> {h.briefing}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

