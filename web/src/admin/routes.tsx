// The administration area's routes, for app/routes.tsx: /admin opens the first section. «Сценарии»
// is the workflow studio (workflows/), «Бот» the built-in bot's configuration (bot/), «База знаний» is knowledge/; «Каналы», «Операторы» and «Быстрые ответы» have their folders;
// the other sections are placeholders until their issues.
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route } from 'react-router';
import { AdminShell, SectionPlaceholder } from './AdminShell';
import { RequireAdmin } from './RequireAdmin';
import { ADMIN_HOME, ADMIN_SECTIONS, type AdminSection } from './sections';

// The studio (React Flow, dagre) loads with its section, not with the messenger.
const WorkflowsPage = lazy(() => import('./workflows/WorkflowsPage').then((m) => ({ default: m.WorkflowsPage })));
const StudioPage = lazy(() => import('./workflows/StudioPage').then((m) => ({ default: m.StudioPage })));
const ChannelsPage = lazy(() => import('./channels/ChannelsPage').then((m) => ({ default: m.ChannelsPage })));
const OperatorsPage = lazy(() => import('./operators/OperatorsPage').then((m) => ({ default: m.OperatorsPage })));
const KnowledgeSection = lazy(() => import('./knowledge/KnowledgeSection').then((m) => ({ default: m.KnowledgeSection })));
const BotPage = lazy(() => import('./bot/BotPage').then((m) => ({ default: m.BotPage })));
const QuickRepliesPage = lazy(() => import('./quick-replies/QuickRepliesPage').then((m) => ({ default: m.QuickRepliesPage })));
const later = (page: ReactNode) => <Suspense fallback={<div className="splash" />}>{page}</Suspense>;
/** Sections with their own screens; the rest show their placeholder. */
const BUILT = new Set<AdminSection['id']>(['workflows', 'bot', 'knowledge', 'channels', 'operators', 'quickReplies']);

export const adminRoutes = (
  <Route
    path="/admin"
    element={
      <RequireAdmin>
        <AdminShell />
      </RequireAdmin>
    }
  >
    <Route index element={<Navigate to={ADMIN_HOME} replace />} />
    <Route path="workflows" element={later(<WorkflowsPage />)} />
    <Route path="workflows/:id" element={later(<StudioPage />)} />
    <Route path="bot" element={later(<BotPage />)} />
    <Route path="knowledge/*" element={later(<KnowledgeSection />)} />
    <Route path="channels" element={later(<ChannelsPage />)} />
    <Route path="operators" element={later(<OperatorsPage />)} />
    <Route path="quick-replies" element={later(<QuickRepliesPage />)} />
    {ADMIN_SECTIONS.filter((s) => !BUILT.has(s.id)).map((s) => (
      <Route key={s.id} path={s.path} element={<SectionPlaceholder section={s} />} />
    ))}
    <Route path="*" element={<Navigate to={ADMIN_HOME} replace />} />
  </Route>
);
