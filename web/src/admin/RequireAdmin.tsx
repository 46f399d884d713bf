// The administration area is for admins: anyone else who opens an /admin URL lands in the inbox.
// (The server checks the role on every admin call as well; this only keeps the screens away.)
import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { isAdmin } from '../shared/session/auth';
import { useSession } from '../shared/session/store';
import { DEFAULT_INBOX_PATH } from '../inbox/url';

export function RequireAdmin(props: { children: ReactNode }) {
  const admin = useSession((s) => isAdmin(s.me));
  if (!admin) return <Navigate to={DEFAULT_INBOX_PATH} replace />;
  return props.children;
}
