// The controls in the list's header: the way to the administration area (admins only), sound,
// system notifications, the language and signing out. Sound and language are preferences kept on
// the server; the notification permission is the browser's.
import { memo, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { isAdmin } from '../../shared/session/auth';
import { useSession } from '../../shared/session/store';
import { BellIcon, BellOffIcon, GearIcon, SpeakerIcon, SpeakerOffIcon } from '../../shared/ui/Icons';

export const HeaderControls = memo(function HeaderControls() {
  const { t, i18n } = useTranslation();
  const sound = useSession((s) => s.prefs.sound);
  const admin = useSession((s) => isAdmin(s.me));
  const savePrefs = useSession((s) => s.savePrefs);
  const supported = typeof Notification !== 'undefined';
  const [perm, setPerm] = useState<NotificationPermission>(supported ? Notification.permission : 'denied');
  const notifyOn = perm === 'granted';
  // The permission may change in the browser's site settings while the app is open.
  useEffect(() => {
    if (!supported || !navigator.permissions?.query) return;
    let status: PermissionStatus | null = null;
    const sync = () => setPerm(Notification.permission);
    navigator.permissions
      .query({ name: 'notifications' })
      .then((s) => {
        status = s;
        s.addEventListener('change', sync);
      })
      .catch(() => undefined);
    return () => status?.removeEventListener('change', sync);
  }, [supported]);
  const lang = i18n.language === 'en' ? 'en' : 'ru';
  return (
    <div className="header-controls">
      {admin && (
        <Link to="/admin" className="icon-btn" data-testid="admin-link" title={t('nav.admin')} aria-label={t('nav.admin')}>
          <GearIcon />
        </Link>
      )}
      <button
        type="button"
        className="icon-btn"
        data-testid="sound-toggle"
        aria-pressed={sound ? 'true' : 'false'}
        title={t(sound ? 'header.soundOn' : 'header.soundOff')}
        aria-label={t(sound ? 'header.soundOn' : 'header.soundOff')}
        onClick={() => void savePrefs({ sound: !sound })}
      >
        {sound ? <SpeakerIcon /> : <SpeakerOffIcon />}
      </button>
      <button
        type="button"
        className={'icon-btn notify-' + perm}
        data-testid="notifications-button"
        data-permission={perm}
        aria-pressed={notifyOn ? 'true' : 'false'}
        title={t(perm === 'granted' ? 'header.notificationsOnHint' : perm === 'denied' ? 'header.notificationsDenied' : 'header.notificationsAsk')}
        aria-label={t(notifyOn ? 'header.notificationsOn' : 'header.notificationsOff')}
        disabled={!supported}
        onClick={() => {
          if (!supported || perm !== 'default') return;
          void Notification.requestPermission().then(setPerm);
        }}
      >
        {notifyOn ? <BellIcon /> : <BellOffIcon />}
      </button>
      <button
        type="button"
        className="text-btn"
        data-testid="language-switch"
        title={t('header.language')}
        onClick={() => void savePrefs({ language: lang === 'ru' ? 'en' : 'ru' })}
      >
        {lang === 'ru' ? 'EN' : 'RU'}
      </button>
      <button type="button" className="text-btn" data-testid="logout-button" onClick={() => void useSession.getState().logout()}>
        {t('header.logout')}
      </button>
    </div>
  );
});
