// A server and a simulator of a spec's own, on a fresh database: for what the shared harness has
// already done (global-setup connects both simulator accounts, so connecting one from the screen
// needs a server where neither is connected yet). Same binaries, same environment as the harness.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, serverEnv, startServer, startSim, stopGroup, waitHttp } from './procs';

export interface Isolated {
  tmpDir: string;
  sim: { url: string; pid: number };
  server: { url: string; pid: number };
  admin: { login: string; password: string };
}

export async function startIsolated(): Promise<Isolated> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontline-e2e-own-'));
  const admin = { login: 'owner', password: 'owner-pass-2026' };
  const simPort = await freePort();
  const sim = { url: `http://127.0.0.1:${simPort}`, pid: startSim(simPort) };
  const started: Isolated = { tmpDir, sim, server: { url: '', pid: -1 }, admin };
  try {
    await waitHttp(`${sim.url}/_sim/accounts`, sim.pid, 'avito-sim.log');
    const serverPort = await freePort();
    const url = `http://127.0.0.1:${serverPort}`;
    const env = serverEnv({ simUrl: sim.url, publicUrl: url, adminLogin: admin.login, adminPassword: admin.password });
    started.server = { url, pid: startServer(serverPort, `sqlite://${tmpDir}/own.db`, env) };
    await waitHttp(`${url}/healthz`, started.server.pid, 'frontline.log');
    return started;
  } catch (e) {
    await stopIsolated(started);
    throw e;
  }
}

export async function stopIsolated(h: Isolated): Promise<void> {
  if (h.server.pid > 0) await stopGroup(h.server.pid, 10_000);
  await stopGroup(h.sim.pid, 5_000);
  fs.rmSync(h.tmpDir, { recursive: true, force: true });
}
