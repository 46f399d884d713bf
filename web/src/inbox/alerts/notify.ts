// Alerts: the preloaded chime and, while the tab is hidden, a system notification.
import type { Conversation } from '../../shared/api/types';
import type { Alert } from './alerts';
import i18n from '../../shared/i18n';

let audio: HTMLAudioElement | null = null;

/** Create and preload the chime once at start-up, so the first alert plays without delay. */
export function preloadSound(): void {
  if (audio || typeof Audio === 'undefined') return;
  audio = new Audio('/notify.wav');
  audio.preload = 'auto';
  audio.volume = 0.7;
  audio.load();
}

let openHandler: ((conversationId: number) => void) | null = null;
export function setNotificationOpenHandler(fn: ((conversationId: number) => void) | null): void {
  openHandler = fn;
}

export function notifyAlert(alert: Alert, conv: Conversation | undefined, sound: boolean): void {
  if (sound && audio) {
    audio.currentTime = 0;
    void audio.play().catch(() => undefined);
  }
  if (
    typeof Notification !== 'undefined' &&
    Notification.permission === 'granted' &&
    document.visibilityState === 'hidden'
  ) {
    const name = conv?.customer.name || i18n.t('chat.customer');
    const title = alert.kind === 'handoff' ? i18n.t('alerts.handoffTitle', { name }) : i18n.t('alerts.messageTitle', { name });
    const body = conv?.last_message?.text ?? '';
    const n = new Notification(title, { body, tag: `conv-${alert.conversationId}` });
    n.onclick = () => {
      window.focus();
      openHandler?.(alert.conversationId);
      n.close();
    };
  }
}
