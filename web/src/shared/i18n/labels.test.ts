import { describe, expect, it } from 'vitest';
import i18n from './';
import { humanizeKey, intentLabel, reasonLabel, slotLabel } from './labels';

const ru = i18n.getFixedT('ru');
const en = i18n.getFixedT('en');
const exists = (lng: string) => (k: string) => i18n.exists(k, { lng, fallbackLng: false });

describe('labels of bot keys', () => {
  it('known intents, slots and handoff reasons have Russian and English names', () => {
    expect(intentLabel(ru, exists('ru'), 'order_status')).toBe('Статус заказа');
    expect(intentLabel(en, exists('en'), 'order_status')).toBe('Order status');
    expect(intentLabel(ru, exists('ru'), 'greeting')).toBe('Приветствие');
    expect(intentLabel(ru, exists('ru'), 'complaint')).toBe('Жалоба');
    expect(slotLabel(ru, exists('ru'), 'order_number')).toBe('Номер заказа');
    expect(slotLabel(en, exists('en'), 'order_number')).toBe('Order number');
    expect(reasonLabel(ru, exists('ru'), 'customer_asked')).toBe('клиент попросил оператора');
    expect(reasonLabel(en, exists('en'), 'low_confidence')).toBe('the bot was unsure');
  });

  it('every intent of the demo bot and slot it asks for is named in both languages', () => {
    const intents = ['order_status', 'balance', 'schedule', 'change_data', 'delivery', 'payment', 'returns', 'warranty', 'complaint', 'urgent', 'greeting', 'thanks'];
    const slots = ['order_number', 'phone', 'email', 'date', 'amount'];
    const reasons = ['no_bot', 'low_confidence', 'customer_asked', 'topic_policy', 'action_failed', 'repeated_clarify', 'customer_upset', 'llm_unavailable', 'bot_error', 'manual', 'operator_replied', 'external_reply'];
    for (const lng of ['ru', 'en']) {
      for (const k of intents) expect(i18n.exists(`intent.${k}`, { lng, fallbackLng: false }), `${lng} intent.${k}`).toBe(true);
      for (const k of slots) expect(i18n.exists(`slot.${k}`, { lng, fallbackLng: false }), `${lng} slot.${k}`).toBe(true);
      for (const k of reasons) expect(i18n.exists(`handoff.reason.${k}`, { lng, fallbackLng: false }), `${lng} reason ${k}`).toBe(true);
    }
  });

  it('an unknown key falls back to the key itself with underscores as spaces', () => {
    expect(humanizeKey('delivery_address_change')).toBe('delivery address change');
    expect(intentLabel(ru, exists('ru'), 'loyalty_card_lost')).toBe('loyalty card lost');
    expect(slotLabel(en, exists('en'), 'tracking__code_')).toBe('tracking code');
    expect(reasonLabel(ru, exists('ru'), 'new_reason')).toBe('new reason');
    // A key that only looks like a path is not looked up as one.
    expect(intentLabel(ru, exists('ru'), 'order_status.extra')).toBe('order status.extra');
    expect(slotLabel(ru, exists('ru'), '')).toBe('');
  });
});
