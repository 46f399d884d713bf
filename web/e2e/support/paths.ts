// Where the harness keeps its artifacts and finds the binaries; paths are relative to `web/`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `web/` (the directory of playwright.config.ts). */
export const WEB_DIR = path.resolve(here, '..', '..');
/** The repository root. */
export const REPO_ROOT = path.resolve(WEB_DIR, '..');

const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
  : path.join(REPO_ROOT, 'target');

/** JUnit report, process logs, screenshots, traces. */
export const ARTIFACTS = process.env.WEB_E2E_ARTIFACTS ?? path.join(REPO_ROOT, 'target', 'web-e2e');
export const LOGS = path.join(ARTIFACTS, 'logs');
export const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');
/** Ports, pids and the temporary directory of the running processes (written by global-setup). */
export const STATE_FILE = path.join(ARTIFACTS, 'state.json');

export const FRONTLINE_BIN = process.env.FRONTLINE_BIN ?? path.join(targetDir, 'debug', 'frontline');
export const AVITO_SIM_BIN = process.env.AVITO_SIM_BIN ?? path.join(targetDir, 'debug', 'avito-sim');
