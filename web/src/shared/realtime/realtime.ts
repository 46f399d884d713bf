// The realtime stream client: a pure sequence tracker (what to do with each frame) and the
// WebSocket connection around it (reconnects with jittered backoff, resumes with `?after=`).
import type { StreamEvent, StreamFrame } from '../api/types';

export type ConnectionState = 'connected' | 'reconnecting' | 'offline';

export interface SeqState {
  /** The last seq applied; `null` before the first `hello`. */
  lastSeq: number | null;
}

export type SeqAction =
  | { kind: 'event'; event: StreamEvent }
  /** Load the state over REST now; events after `lastSeq` keep coming and are applied on top. */
  | { kind: 'reload' }
  | { kind: 'ready' }
  | { kind: 'expired' }
  | { kind: 'none' };

export const isEvent = (f: StreamFrame): f is StreamEvent => 'seq' in f && f.type.includes('.');

/**
 * Decide what a frame means. Gap-free by construction: the first connection opens without `after`,
 * takes `hello.latest_seq` as the starting point BEFORE the REST load, and applies every later event;
 * a reconnection sends `after=lastSeq` and the server replays what was missed; an event at or below
 * `lastSeq` has been applied already and is dropped.
 */
export function reduceFrame(state: SeqState, frame: StreamFrame): [SeqState, SeqAction] {
  switch (frame.type) {
    case 'hello':
      if (state.lastSeq === null) return [{ lastSeq: frame.latest_seq }, { kind: 'reload' }];
      return [state, { kind: 'none' }];
    case 'resync':
      return [{ lastSeq: frame.latest_seq }, { kind: 'reload' }];
    case 'ready':
      return [state, { kind: 'ready' }];
    case 'session_expired':
      return [state, { kind: 'expired' }];
    case 'pong':
    case 'error':
      return [state, { kind: 'none' }];
    default:
      if (!isEvent(frame)) return [state, { kind: 'none' }];
      if (state.lastSeq !== null && frame.seq <= state.lastSeq) return [state, { kind: 'none' }];
      return [{ lastSeq: frame.seq }, { kind: 'event', event: frame }];
  }
}

/** The URL of the stream for the current state: resume after the last seq once we have one. */
export function streamUrl(base: string, state: SeqState): string {
  return state.lastSeq === null ? base : `${base}?after=${state.lastSeq}`;
}

/** Jittered exponential backoff: 0.5 s doubling to 10 s, each delay drawn in [50 %, 100 %]. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base * (0.5 + random() * 0.5));
}

export interface RealtimeHandlers {
  onEvent(e: StreamEvent): void;
  onReload(): void;
  onState(s: ConnectionState): void;
  onExpired(): void;
}

/** One WebSocket to `/api/v1/stream`, kept open while started. */
export class RealtimeConnection {
  private seq: SeqState = { lastSeq: null };
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  private state: ConnectionState = 'reconnecting';

  constructor(
    private readonly handlers: RealtimeHandlers,
    private readonly url: () => string = defaultUrl,
    private readonly makeSocket: (url: string) => WebSocket = (u) => new WebSocket(u),
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  get lastSeq(): number | null {
    return this.seq.lastSeq;
  }

  private onOnline = () => {
    if (this.stopped) return;
    // The old socket may have died silently while offline: start over now, resuming after lastSeq.
    this.setState('reconnecting');
    this.attempt = 0;
    this.clearTimers();
    const old = this.ws;
    this.ws = null;
    old?.close();
    this.connect();
  };

  private onOffline = () => this.setState('offline');

  private setState(s: ConnectionState) {
    const effective = typeof navigator !== 'undefined' && navigator.onLine === false ? 'offline' : s;
    if (effective === this.state) return;
    this.state = effective;
    this.handlers.onState(effective);
  }

  private clearTimers() {
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    this.timer = null;
    this.ping = null;
  }

  private connect() {
    this.timer = null;
    if (this.stopped) return;
    const ws = this.makeSocket(streamUrl(this.url(), this.seq));
    this.ws = ws;
    let lastFrameAt = Date.now();
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      lastFrameAt = Date.now();
      let frame: StreamFrame;
      try {
        frame = JSON.parse(String(ev.data)) as StreamFrame;
      } catch {
        return;
      }
      if (frame.type === 'hello') {
        this.attempt = 0;
        this.setState('connected');
      }
      const [next, action] = reduceFrame(this.seq, frame);
      this.seq = next;
      switch (action.kind) {
        case 'event':
          this.handlers.onEvent(action.event);
          break;
        case 'reload':
          this.handlers.onReload();
          break;
        case 'expired':
          this.stop();
          this.handlers.onExpired();
          break;
        default:
      }
    };
    ws.onopen = () => {
      if (this.ping) clearInterval(this.ping);
      this.ping = setInterval(() => {
        // Every ping is answered; silence for two rounds means a dead connection.
        if (Date.now() - lastFrameAt > 45_000) {
          ws.close();
          ws.onclose?.call(ws, new CloseEvent('close', { code: 4000 }));
          return;
        }
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
      }, 20_000);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.ping) clearInterval(this.ping);
      this.ping = null;
      if (this.stopped) return;
      if (ev.code === 4401) {
        this.stop();
        this.handlers.onExpired();
        return;
      }
      this.setState('reconnecting');
      const delay = backoffDelay(this.attempt++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => {
      // onclose follows and schedules the reconnection.
    };
  }
}

function defaultUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/stream`;
}
