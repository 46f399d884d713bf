// The administration area's routes, for app/routes.tsx: /admin opens the first section.
import { Navigate, Route } from 'react-router';
import { AdminShell, SectionPlaceholder } from './AdminShell';
import { RequireAdmin } from './RequireAdmin';
import { ADMIN_HOME, ADMIN_SECTIONS } from './sections';

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
    {ADMIN_SECTIONS.map((s) => (
      <Route key={s.id} path={s.path} element={<SectionPlaceholder section={s} />} />
    ))}
    <Route path="*" element={<Navigate to={ADMIN_HOME} replace />} />
  </Route>
);
