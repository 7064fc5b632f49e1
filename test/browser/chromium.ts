import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (.ci/run installs it); playwright-core drives it, it never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags that work on these machines, as root, on a closed network (see the env
 * skill's machine doc): no sandbox, no GPU, and none of Chromium's own background
 * connections. launch() gives every browser a fresh, empty profile directory.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
}

/** Everything the page logs and throws, for a failure message that says why. */
export function pageLog(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (message) => lines.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => lines.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  return lines;
}
