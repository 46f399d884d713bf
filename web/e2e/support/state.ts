// The state file shared by the global setup, the specs (in the worker process) and the teardown.
import fs from 'node:fs';
import { STATE_FILE } from './paths';

export interface SimAccount {
  /** Avito's user id in the simulator (1001, 1002). */
  userId: number;
  /** frontline's account id. */
  id: number;
  name: string;
}

export interface HarnessState {
  /** The Playwright runner that owns the processes (a second run must not take them over). */
  runnerPid: number;
  tmpDir: string;
  databaseUrl: string;
  sim: { port: number; pid: number; url: string };
  server: { port: number; pid: number; url: string; env: Record<string, string> };
  admin: { login: string; password: string; name: string };
  operator: { login: string; password: string; name: string; id: number };
  accounts: SimAccount[];
  quickReplies: { id: number; title: string; text: string }[];
}

export function readState(): HarnessState {
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as HarnessState;
}

export function writeState(state: HarnessState): void {
  fs.writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}
