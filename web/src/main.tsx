// The entry point: i18n and styles, the inbox following the session, then the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './shared/i18n';
import './app/styles.css';
import { App } from './app/App';
import { connectInbox } from './inbox/store';

connectInbox();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
