// Starting and stopping the real binaries. Each runs in its own process group (detached) so the
// teardown can end it and everything it started, whichever process launched it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AVITO_SIM_BIN, FRONTLINE_BIN, LOGS } from './paths';

/** A port that was free a moment ago (the kernel picks it; the server binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function checkBinary(bin: string): void {
  if (!fs.existsSync(bin)) {
    throw new Error(
      `${bin} does not exist: build it first (cargo build -p frontline -p avito-sim), or set FRONTLINE_BIN / AVITO_SIM_BIN`,
    );
  }
}

function launch(bin: string, args: string[], env: Record<string, string>, logName: string): number {
  checkBinary(bin);
  fs.mkdirSync(LOGS, { recursive: true });
  const log = fs.openSync(path.join(LOGS, logName), 'a');
  fs.writeSync(log, `\n==== ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  // The server reads every FRONTLINE_* variable as configuration and refuses unknown keys, so the
  // harness's own FRONTLINE_BIN must not reach it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FRONTLINE_BIN'));
  const child = spawn(bin, args, {
    env: { ...inherited, ...env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${bin}`);
  child.unref();
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) still answers kill(0); /proc tells the truth.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Whether `pid` is alive and runs a program whose command line contains `name` (pids get reused). */
export function runs(pid: number, name: string): boolean {
  try {
    return isAlive(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

/** Sends `signal` to the process group of `pid` and waits for `pid` to exit (SIGKILL after `graceMs`). */
export async function stopGroup(pid: number, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  send(signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    send('SIGKILL');
    const hard = Date.now() + 5_000;
    while (isAlive(pid) && Date.now() < hard) await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `url` until it answers 2xx; fails with the log's tail when `pid` dies or time runs out. */
export async function waitHttp(url: string, pid: number, logName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new Error(`process ${pid} exited before ${url} answered\n${tail(logName)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e);
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})\n${tail(logName)}`);
}

export function tail(logName: string, lines = 40): string {
  try {
    return fs.readFileSync(path.join(LOGS, logName), 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function startSim(port: number): number {
  return launch(AVITO_SIM_BIN, ['--listen', `127.0.0.1:${port}`], { RUST_LOG: 'info' }, 'avito-sim.log');
}

/** The server's environment (kept in the state file so a restart uses exactly the same). */
export function serverEnv(opts: { simUrl: string; publicUrl: string; adminLogin: string; adminPassword: string }): Record<string, string> {
  return {
    FRONTLINE_BOOTSTRAP_ADMIN: `${opts.adminLogin}:${opts.adminPassword}`,
    FRONTLINE_AVITO__ENABLED: 'true',
    FRONTLINE_AVITO__API_URL: opts.simUrl,
    FRONTLINE_AVITO__PUBLIC_URL: opts.publicUrl,
    FRONTLINE_AVITO__POLL_INTERVAL_SECS: '2',
    // A fixed key (base64 of 32 bytes): the sealed Avito secrets must open again after a restart.
    FRONTLINE_SECRETS__KEY: Buffer.alloc(32, 7).toString('base64'),
    // The login tests type wrong passwords on purpose; the lockout must not reach the other tests.
    FRONTLINE_HTTP__LOGIN_MAX_FAILURES: '1000',
    FRONTLINE_LOG__LEVEL: 'info',
  };
}

export function startServer(port: number, databaseUrl: string, env: Record<string, string>): number {
  return launch(
    FRONTLINE_BIN,
    ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', databaseUrl],
    env,
    'frontline.log',
  );
}
