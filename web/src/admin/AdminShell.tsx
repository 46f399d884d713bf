// The administration area's frame: the way back to the messenger, the sections' navigation, and
// the section shown (the router's outlet).
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet } from 'react-router';
import { DEFAULT_INBOX_PATH } from '../inbox/url';
import { ADMIN_SECTIONS, type AdminSection } from './sections';
import './admin.css';

export function AdminShell() {
  const { t } = useTranslation();
  return (
    <div className="admin-layout" data-testid="admin-shell">
      <nav className="admin-nav" aria-label={t('admin.title')}>
        <div className="admin-nav-head">
          <span className="brand">{t('app.title')}</span>
          <Link to={DEFAULT_INBOX_PATH} className="text-btn" data-testid="inbox-link">
            {t('nav.inbox')}
          </Link>
        </div>
        <div className="admin-nav-title">{t('admin.title')}</div>
        {ADMIN_SECTIONS.map((s) => (
          <NavLink key={s.id} to={s.path} className="admin-nav-item" data-testid="admin-nav-item" data-section={s.id}>
            {t(`admin.sections.${s.id}.title`)}
          </NavLink>
        ))}
      </nav>
      <main className="admin-main">
        <Outlet />
      </main>
    </div>
  );
}

/** A section not built yet: its name and one line on what it will hold. */
export function SectionPlaceholder(props: { section: AdminSection }) {
  const { t } = useTranslation();
  const id = props.section.id;
  return (
    <section className="admin-section" data-testid="admin-section" data-section={id}>
      <h1>{t(`admin.sections.${id}.title`)}</h1>
      <p className="admin-placeholder">{t('admin.placeholder', { what: t(`admin.sections.${id}.what`) })}</p>
    </section>
  );
}
