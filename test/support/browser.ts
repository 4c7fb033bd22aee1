/**
 * Chromium for the browser specs: Debian's chromium package (CHROMIUM_PATH to
 * use another), never Playwright's own download, which needs a registry.
 */
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium; `env` for its process, such as a HOME with its own certificate database. */
export const launchChromium = (env?: NodeJS.ProcessEnv): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox'],
    ...(env ? { env } : {}),
  });
