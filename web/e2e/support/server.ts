// Restarting the real server in the middle of a test: same port, same database, same environment.
import { readState, writeState } from './state';
import { startServer, stopGroup, waitHttp } from './procs';

/** SIGTERM the server and wait until it has exited. */
export async function stopServer(): Promise<void> {
  const state = readState();
  await stopGroup(state.server.pid, 15_000, 'SIGTERM');
}

/** Start the server again on the same port with the same database; resolves once /healthz answers. */
export async function startServerAgain(): Promise<void> {
  const state = readState();
  state.server.pid = startServer(state.server.port, state.databaseUrl, state.server.env);
  writeState(state);
  await waitHttp(`${state.server.url}/healthz`, state.server.pid, 'frontline.log');
}

export async function restartServer(): Promise<void> {
  await stopServer();
  await startServerAgain();
}
