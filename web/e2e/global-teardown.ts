// Ends both processes (their whole process groups) and removes the temporary database, whatever
// happened in the tests. Process logs stay in target/web-e2e/logs.
import fs from 'node:fs';
import { STATE_FILE } from './support/paths';
import { runs, stopGroup } from './support/procs';
import type { HarnessState } from './support/state';

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as HarnessState;
  if (runs(state.server.pid, 'frontline')) await stopGroup(state.server.pid);
  if (runs(state.sim.pid, 'avito-sim')) await stopGroup(state.sim.pid);
  if (!process.env.WEB_E2E_KEEP_DB) fs.rmSync(state.tmpDir, { recursive: true, force: true });
  fs.rmSync(STATE_FILE, { force: true });
}
