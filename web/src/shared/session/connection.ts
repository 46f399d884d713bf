// The realtime stream of the session: one reconnecting WebSocket (shared/realtime) started when the
// session starts, its state for the connection indicator, and the listeners it hands events to.
import type { StateCreator } from 'zustand';
import { api } from '../api/client';
import type { StreamEvent } from '../api/types';
import { RealtimeConnection, type ConnectionState } from '../realtime/realtime';
import type { SessionState } from './store';

/** A feature following the stream: each event once, in `seq` order, and a reload when asked. */
export interface StreamListener {
  event(e: StreamEvent): void;
  /**
   * Load the state over REST now. The first hello (and every resync) fixes the seq to continue
   * from BEFORE this load, so events committed during the load arrive and are merged on top of it.
   */
  reload(): void;
}

const listeners = new Set<StreamListener>();

export function listenToStream(listener: StreamListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface ConnectionSlice {
  connection: ConnectionState;
  startStream(): void;
  stopStream(): void;
}

let stream: RealtimeConnection | null = null;

export const connectionSlice: StateCreator<SessionState, [], [], ConnectionSlice> = (set, get) => ({
  connection: 'reconnecting',

  startStream() {
    stream?.stop();
    stream = new RealtimeConnection({
      onEvent: (e) => listeners.forEach((l) => l.event(e)),
      onReload: () => listeners.forEach((l) => l.reload()),
      onState: (s) => {
        set({ connection: s });
        if (s === 'reconnecting') {
          // A socket that cannot reconnect may be a session that ended: the 401 here says so.
          void api.GET('/api/v1/me').catch(() => undefined);
        }
      },
      onExpired: () => get().sessionEnded(),
    });
    set({ connection: navigator.onLine ? 'reconnecting' : 'offline' });
    stream.start();
  },

  stopStream() {
    stream?.stop();
    stream = null;
  },
});
