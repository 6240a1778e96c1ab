import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which downloads no browser), for the browser suites.
 * CI installs it, so there a missing browser is an error; elsewhere those suites are skipped.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

/** Throws under CI when Chromium is missing, naming the suite that needs it. */
export function requireChromiumInCi(suite: string): void {
  if (!hasChromium && process.env.CI === 'true') throw new Error(`CI needs Chromium at ${CHROMIUM} for ${suite}`);
}

/** Headless Chromium with nothing running in the background that could reach another host. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
