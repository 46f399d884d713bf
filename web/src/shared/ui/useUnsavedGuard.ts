// Unsaved edits are not lost by leaving: closing or reloading the tab asks the browser's own
// question, and a link inside the app (another admin section, the messenger) asks ours first —
// stay, or leave without saving. Needs the app's data router (app/App.tsx) for `useBlocker`.
import { useEffect } from 'react';
import { useBlocker } from 'react-router';

export function useUnsavedGuard(dirty: boolean, question: string): void {
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  // Only a change of page counts: the editors keep their own state in the query (tabs, filters).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    if (window.confirm(question)) blocker.proceed();
    else blocker.reset();
  }, [blocker, question]);
}
