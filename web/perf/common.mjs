// What the performance scripts share: their flags, the admin they bootstrap, Chromium, a free port,
// JSON over HTTP and frame-interval statistics. Each script keeps only what it measures.
import net from 'node:net';

/** `--name value` pairs from the command line. */
export const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
export const BIN = args.bin ?? '../target/debug/frontline';
export const PROFILE = args.profile ?? (BIN.includes('/release/') ? 'release' : 'debug');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const ADMIN = { login: 'admin', password: 'admin12345' };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function http(method, url, body, token) {
  const r = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Percentiles of frame intervals (ms), and how many were longer than `slowMs`. */
export function frameStats(intervals, slowMs) {
  const s = [...intervals].sort((a, b) => a - b);
  return {
    frames: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1],
    slow: s.filter((x) => x > slowMs).length,
  };
}
