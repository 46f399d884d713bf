// The app shell: the router, the sign-in gate and the routes. Signed out, the login form shows at
// whatever URL was opened, so a deep link opens once the operator has signed in.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, matchPath, RouterProvider, useLocation, useNavigate } from 'react-router';
import { useSession } from '../shared/session/store';
import { preloadSound, setNotificationOpenHandler } from '../inbox/alerts/notify';
import { conversationPathFrom, INBOX_ROUTE, resolveInboxUrl } from '../inbox/url';
import { Login, SessionExpired } from './Login';
import { AppRoutes } from './routes';

export function App() {
  // A data router, so that editors can hold a navigation while they have unsaved edits
  // (shared/ui/useUnsavedGuard.ts); one splat route renders the whole app, whose own <Routes>
  // match the pages. No transitions: the search box is bound to the URL, and a controlled input
  // must see its new value in the same render as the keystroke (a transition would defer it and
  // move the caret).
  const [router] = useState(() => createBrowserRouter([{ path: '*', element: <Root /> }]));
  return <RouterProvider router={router} useTransitions={false} />;
}

function Root() {
  return (
    <>
      <OpenFromNotification />
      <ForgetUrlOnLogout />
      <SignInGate />
    </>
  );
}

function SignInGate() {
  const { t } = useTranslation();
  const auth = useSession((s) => s.auth);
  const [relogin, setRelogin] = useState(false);

  useEffect(() => {
    preloadSound();
    void useSession.getState().boot();
  }, []);

  useEffect(() => {
    if (auth === 'ready') setRelogin(false);
  }, [auth]);

  if (auth === 'loading') return <div className="splash">{t('list.loading')}</div>;
  if (auth === 'login' || (auth === 'expired' && relogin)) return <Login />;
  if (auth === 'expired') return <SessionExpired onRelogin={() => setRelogin(true)} />;
  return <AppRoutes />;
}

/** A click on a system notification opens its conversation, wherever the app is. */
function OpenFromNotification() {
  const navigate = useNavigate();
  const location = useLocation();
  const role = useSession((s) => s.me?.role);
  const current = useRef({ navigate, location, role });
  useEffect(() => {
    current.current = { navigate, location, role };
  });
  useEffect(() => {
    setNotificationOpenHandler((id) => {
      const { navigate, location, role } = current.current;
      const match = matchPath(INBOX_ROUTE, location.pathname);
      const here = match ? resolveInboxUrl(match.params, location.search, role) : null;
      navigate(conversationPathFrom(here, id));
    });
    return () => setNotificationOpenHandler(null);
  }, []);
  return null;
}

/** Signing out leaves the URL of the last screen: the next operator to sign in starts at the inbox. */
function ForgetUrlOnLogout() {
  const navigate = useNavigate();
  const auth = useSession((s) => s.auth);
  const previous = useRef(auth);
  useEffect(() => {
    if (previous.current === 'ready' && auth === 'login') navigate('/', { replace: true });
    previous.current = auth;
  }, [auth, navigate]);
  return null;
}
