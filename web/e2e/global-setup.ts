// Starts avito-sim and frontline on free ports with a fresh SQLite database, then prepares what the
// specs share: both simulator accounts connected through the real Avito channel, a second operator
// and shared quick replies. Everything the specs and the teardown need goes into the state file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, Sim } from './support/api';
import { ARTIFACTS, FRONTLINE_BIN, LOGS, SCREENSHOTS, STATE_FILE } from './support/paths';
import { freePort, isAlive, runs, serverEnv, startServer, startSim, stopGroup, waitHttp } from './support/procs';
import { type HarnessState, writeState } from './support/state';

export const ACCOUNT_NAMES: Record<number, string> = { 1001: 'Авито: Мебель', 1002: 'Авито: Электроника' };

export const QUICK_REPLIES = [
  { title: 'Приветствие', text: 'Здравствуйте, {customer_name}! Меня зовут Ольга, я помогу разобраться.' },
  { title: 'Статус заказа', text: '{customer_name}, ваш заказ {order_number} уже передан в доставку.' },
  { title: 'Прощание', text: 'Спасибо за обращение, {customer_name}! Хорошего дня.' },
];

export default async function globalSetup(): Promise<void> {
  await claimState();
  try {
    await setUp();
  } catch (e) {
    // Playwright does not run the teardown of a setup that failed: end what was started here.
    const { default: teardown } = await import('./global-teardown');
    await teardown();
    throw e;
  }
}

async function claimState(): Promise<void> {
  // Another run in this checkout owns the processes and the artifacts: do not take them over.
  if (fs.existsSync(STATE_FILE)) {
    let old: HarnessState | undefined;
    try {
      old = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as HarnessState;
    } catch {
      /* unreadable: stale */
    }
    if (old && old.runnerPid !== process.pid && isAlive(old.runnerPid)) {
      throw new Error(`another browser-test run (pid ${old.runnerPid}) is using ${STATE_FILE}; wait for it or end it`);
    }
    // A stale state file from an interrupted run: end what it started before starting anew.
    if (old) {
      if (runs(old.server.pid, 'frontline')) await stopGroup(old.server.pid, 3_000);
      if (runs(old.sim.pid, 'avito-sim')) await stopGroup(old.sim.pid, 3_000);
    }
    fs.rmSync(STATE_FILE, { force: true });
  }
}

async function setUp(): Promise<void> {
  fs.mkdirSync(LOGS, { recursive: true });
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const f of ['frontline.log', 'avito-sim.log']) fs.rmSync(path.join(LOGS, f), { force: true });

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontline-e2e-'));
  const simPort = await freePort();
  const simPid = startSim(simPort);
  const simUrl = `http://127.0.0.1:${simPort}`;
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const databaseUrl = `sqlite://${tmpDir}/e2e.db`;
  const admin = { login: 'admin', password: 'admin12345', name: 'admin' };
  const env = serverEnv({ simUrl, publicUrl: serverUrl, adminLogin: admin.login, adminPassword: admin.password });

  // Written before anything can fail, so the teardown ends whatever did start.
  const state: HarnessState = {
    runnerPid: process.pid,
    tmpDir,
    databaseUrl,
    sim: { port: simPort, pid: simPid, url: simUrl },
    server: { port: serverPort, pid: -1, url: serverUrl, env },
    admin,
    operator: { login: 'olga', password: 'olga-pass-2026', name: 'Ольга Петрова', id: -1 },
    accounts: [],
    quickReplies: [],
  };
  writeState(state);
  await waitHttp(`${simUrl}/_sim/accounts`, simPid, 'avito-sim.log');

  state.server.pid = startServer(serverPort, databaseUrl, env);
  writeState(state);
  await waitHttp(`${serverUrl}/healthz`, state.server.pid, 'frontline.log');

  const index = await (await fetch(`${serverUrl}/`)).text();
  if (!/<script[^>]+src=/.test(index)) {
    throw new Error(
      `${FRONTLINE_BIN} does not serve the built web app at / (got: ${index.slice(0, 200)}). ` +
        'Build it first: cd web && npm run build (debug builds read web/dist from disk).',
    );
  }

  const api = await Api.admin(state);
  const me = await api.get<{ display_name: string }>('/me');
  state.admin.name = me.display_name;

  const sim = new Sim(simUrl);
  for (const acc of await sim.accounts()) {
    const name = ACCOUNT_NAMES[acc.user_id] ?? `Авито ${acc.user_id}`;
    const r = await api.post<{ account: { id: number }; subscribed: boolean; subscribe_error?: string }>(
      '/avito/accounts',
      { name, user_id: acc.user_id, client_id: acc.client_id, client_secret: acc.client_secret },
    );
    if (!r.subscribed) throw new Error(`the webhook of ${name} was not subscribed: ${r.subscribe_error}`);
    state.accounts.push({ userId: acc.user_id, id: r.account.id, name });
  }
  state.accounts.sort((a, b) => a.userId - b.userId);

  const op = await api.post<{ id: number }>('/operators', {
    login: state.operator.login,
    display_name: state.operator.name,
    password: state.operator.password,
    role: 'operator',
  });
  state.operator.id = op.id;

  for (const q of QUICK_REPLIES) {
    const r = await api.post<{ id: number }>('/quick-replies', { ...q, shared: true });
    state.quickReplies.push({ id: r.id, ...q });
  }
  writeState(state);
  await api.logout();
  console.log(`e2e: frontline ${serverUrl} (pid ${state.server.pid}), avito-sim ${simUrl} (pid ${simPid}), db ${databaseUrl}`);
  console.log(`e2e: logs in ${LOGS}, screenshots in ${SCREENSHOTS}, artifacts in ${ARTIFACTS}`);
}
