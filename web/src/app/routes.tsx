// The app's pages. The messenger is the inbox (inbox/url.ts has its URL); the administration area
// is admin/ (admins only). Anything else opens the inbox.
import { Navigate, Route, Routes } from 'react-router';
import { adminRoutes } from '../admin/routes';
import { InboxPage } from '../inbox/InboxPage';
import { DEFAULT_INBOX_PATH, INBOX_ROUTE } from '../inbox/url';

export function AppRoutes() {
  return (
    <Routes>
      <Route path={INBOX_ROUTE} element={<InboxPage />} />
      {adminRoutes}
      <Route path="*" element={<Navigate to={DEFAULT_INBOX_PATH} replace />} />
    </Routes>
  );
}
