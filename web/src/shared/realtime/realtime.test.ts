import { describe, expect, it, vi } from 'vitest';
import type { StreamFrame } from '../api/types';
import { backoffDelay, RealtimeConnection, reduceFrame, streamUrl, type SeqState } from './realtime';

const ev = (seq: number): StreamFrame => ({ type: 'message.created', seq, conversation_id: 1, at: '2026-11-21T10:00:00.000Z' });

function run(state: SeqState, frames: StreamFrame[]) {
  const actions: string[] = [];
  let s = state;
  for (const f of frames) {
    const [n, a] = reduceFrame(s, f);
    s = n;
    actions.push(a.kind === 'event' ? `event:${a.event.seq}` : a.kind);
  }
  return { state: s, actions };
}

describe('reduceFrame', () => {
  it('first hello fixes the seq before the REST load and asks for it', () => {
    const r = run({ lastSeq: null }, [{ type: 'hello', latest_seq: 41 }, { type: 'ready', seq: 41 }, ev(42), ev(43)]);
    expect(r.actions).toEqual(['reload', 'ready', 'event:42', 'event:43']);
    expect(r.state.lastSeq).toBe(43);
  });

  it('drops duplicates and anything at or below the last seq', () => {
    const r = run({ lastSeq: 10 }, [ev(9), ev(10), ev(11), ev(11), ev(12), ev(12)]);
    expect(r.actions).toEqual(['none', 'none', 'event:11', 'none', 'event:12', 'none']);
    expect(r.state.lastSeq).toBe(12);
  });

  it('a reconnection hello does not move the seq nor reload; replayed events apply once', () => {
    const r = run({ lastSeq: 20 }, [{ type: 'hello', latest_seq: 25 }, ev(19), ev(20), ev(21), ev(25), { type: 'ready', seq: 25 }]);
    expect(r.actions).toEqual(['none', 'none', 'none', 'event:21', 'event:25', 'ready']);
    expect(r.state.lastSeq).toBe(25);
  });

  it('resync reloads and continues from latest_seq', () => {
    const r = run({ lastSeq: 5 }, [{ type: 'hello', latest_seq: 900 }, { type: 'resync', latest_seq: 900, reason: 'older_than_retained_log' }, ev(900), ev(901)]);
    expect(r.actions).toEqual(['none', 'reload', 'none', 'event:901']);
    expect(r.state.lastSeq).toBe(901);
  });

  it('session_expired is reported', () => {
    expect(reduceFrame({ lastSeq: 1 }, { type: 'session_expired' })[1].kind).toBe('expired');
  });
});

describe('streamUrl and backoff', () => {
  it('resumes after the last seq', () => {
    expect(streamUrl('ws://h/api/v1/stream', { lastSeq: null })).toBe('ws://h/api/v1/stream');
    expect(streamUrl('ws://h/api/v1/stream', { lastSeq: 0 })).toBe('ws://h/api/v1/stream?after=0');
    expect(streamUrl('ws://h/api/v1/stream', { lastSeq: 77 })).toBe('ws://h/api/v1/stream?after=77');
  });

  it('grows from 0.5 s to a 10 s cap with jitter', () => {
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    expect(backoffDelay(10, () => 1)).toBe(10_000);
    expect(backoffDelay(30, () => 0.5)).toBe(7500);
  });
});

class FakeSocket {
  static OPEN = 1;
  readyState = 1;
  sent: string[] = [];
  onmessage: ((e: { data: string }) => void) | null = null;
  onopen: (() => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.readyState = 3;
  }
  frame(f: StreamFrame) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
}

describe('RealtimeConnection', () => {
  it('reconnects with after=lastSeq and never repeats an event', () => {
    vi.useFakeTimers();
    const sockets: FakeSocket[] = [];
    const events: number[] = [];
    const reloads: number[] = [];
    const states: string[] = [];
    const conn = new RealtimeConnection(
      {
        onEvent: (e) => events.push(e.seq),
        onReload: () => reloads.push(1),
        onState: (s) => states.push(s),
        onExpired: () => states.push('expired'),
      },
      () => 'ws://x/api/v1/stream',
      (u) => {
        const s = new FakeSocket(u);
        sockets.push(s);
        return s as unknown as WebSocket;
      },
    );
    conn.start();
    expect(sockets[0]!.url).toBe('ws://x/api/v1/stream');
    sockets[0]!.frame({ type: 'hello', latest_seq: 3 });
    sockets[0]!.frame(ev(4));
    sockets[0]!.frame(ev(5));
    sockets[0]!.onclose?.({ code: 1006 });
    expect(states).toContain('reconnecting');
    vi.advanceTimersByTime(600);
    expect(sockets[1]!.url).toBe('ws://x/api/v1/stream?after=5');
    sockets[1]!.frame({ type: 'hello', latest_seq: 7 });
    sockets[1]!.frame(ev(5));
    sockets[1]!.frame(ev(6));
    sockets[1]!.frame(ev(7));
    expect(events).toEqual([4, 5, 6, 7]);
    expect(reloads).toHaveLength(1);
    expect(states[states.length - 1]).toBe('connected');
    conn.stop();
    vi.useRealTimers();
  });

  it('treats close code 4401 as an ended session', () => {
    const expired: number[] = [];
    let sock: FakeSocket | null = null;
    const conn = new RealtimeConnection(
      { onEvent: () => {}, onReload: () => {}, onState: () => {}, onExpired: () => expired.push(1) },
      () => 'ws://x',
      (u) => (sock = new FakeSocket(u)) as unknown as WebSocket,
    );
    conn.start();
    sock!.onclose?.({ code: 4401 });
    expect(expired).toEqual([1]);
  });
});
