// The app's pages. The messenger is the inbox (inbox/url.ts has its URL); anything else opens it.
import { Navigate, Route, Routes } from 'react-router';
import { InboxPage } from '../inbox/InboxPage';
import { DEFAULT_INBOX_PATH, INBOX_ROUTE } from '../inbox/url';

export function AppRoutes() {
  return (
    <Routes>
      <Route path={INBOX_ROUTE} element={<InboxPage />} />
      <Route path="*" element={<Navigate to={DEFAULT_INBOX_PATH} replace />} />
    </Routes>
  );
}
