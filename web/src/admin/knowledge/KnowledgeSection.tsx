// «База знаний»: the section's frame (its title and its three pages) and its own routes under
// /admin/knowledge — the articles with their categories, an article's editor, the check and imports.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { ArticleEditorPage } from './ArticleEditorPage';
import { ArticlesPage } from './ArticlesPage';
import { CheckPage } from './CheckPage';
import { ImportPage } from './ImportPage';
import { useKbCategories } from './categories';
import './knowledge.css';

export function KnowledgeSection() {
  const { t } = useTranslation();
  const load = useKbCategories((s) => s.load);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="admin-section kb-section" data-testid="admin-section" data-section="knowledge">
      <header className="kb-head">
        <h1>{t('admin.sections.knowledge.title')}</h1>
        <nav className="kb-tabs" aria-label={t('admin.sections.knowledge.title')}>
          <NavLink to="/admin/knowledge" end className="kb-tab" data-testid="kb-tab-articles">
            {t('kb.tabs.articles')}
          </NavLink>
          <NavLink to="/admin/knowledge/check" className="kb-tab" data-testid="kb-tab-check">
            {t('kb.tabs.check')}
          </NavLink>
          <NavLink to="/admin/knowledge/import" className="kb-tab" data-testid="kb-tab-import">
            {t('kb.tabs.import')}
          </NavLink>
        </nav>
      </header>
      <Routes>
        <Route index element={<ArticlesPage />} />
        <Route path="new" element={<ArticleEditorPage />} />
        <Route path="articles/:key" element={<ArticleEditorPage />} />
        <Route path="check" element={<CheckPage />} />
        <Route path="import" element={<ImportPage />} />
        <Route path="*" element={<Navigate to="/admin/knowledge" replace />} />
      </Routes>
    </section>
  );
}
