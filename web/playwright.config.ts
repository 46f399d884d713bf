// Browser tests of the operator web messenger: the real `frontline` server and the real `avito-sim`
// (started by e2e/global-setup.ts), driven in Debian's Chromium, headless. Run through
// `scripts/test-web`, which builds the server, the app and then calls `npx playwright test`.
import { defineConfig } from '@playwright/test';
import { ARTIFACTS } from './e2e/support/paths';

export default defineConfig({
  testDir: './e2e',
  outputDir: `${ARTIFACTS}/test-results`,
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  // One server, one database, one operator's preferences: tests run one at a time.
  workers: 1,
  fullyParallel: false,
  // A flaky test is a bug to fix, never to retry.
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['junit', { outputFile: `${ARTIFACTS}/junit.xml` }]],
  use: {
    // The base URL is read from the state file the global setup writes (see support/state.ts).
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    locale: 'ru-RU',
    timezoneId: 'Europe/Moscow',
    actionTimeout: 15_000,
    navigationTimeout: 20_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    {
      name: 'desktop',
      testIgnore: /phone\.spec\.ts/,
      use: { browserName: 'chromium', viewport: { width: 1440, height: 900 } },
    },
    {
      name: 'phone',
      testMatch: /phone\.spec\.ts/,
      use: {
        browserName: 'chromium',
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
      },
    },
  ],
});
