// The sections of the administration area, in the order of its navigation. Each is a route under
// /admin/{path}; the next issues replace a section's placeholder with its screens (admin/workflows/…),
// without touching the shell or the messenger.
export interface AdminSection {
  id: 'workflows' | 'bot' | 'knowledge' | 'channels' | 'operators' | 'quickReplies' | 'analytics';
  /** The route under /admin. */
  path: string;
}

export const ADMIN_SECTIONS: readonly AdminSection[] = [
  { id: 'workflows', path: 'workflows' },
  { id: 'bot', path: 'bot' },
  { id: 'knowledge', path: 'knowledge' },
  { id: 'channels', path: 'channels' },
  { id: 'operators', path: 'operators' },
  { id: 'quickReplies', path: 'quick-replies' },
  { id: 'analytics', path: 'analytics' },
];

export const ADMIN_HOME = `/admin/${ADMIN_SECTIONS[0]!.path}`;
