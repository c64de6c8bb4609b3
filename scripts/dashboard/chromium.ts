import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Debian's chromium, headless, quiet: no sandbox (root in CI), no GPU, no network of its own, nothing synced. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/**
 * A real Chromium (Debian's package, driven by playwright-core) with a new, empty profile in `userDataDir`.
 * playwright-core is a dev dependency: tests and benchmarks load it, the system never does.
 */
export async function launchChromium(userDataDir: string, options: { javaScriptEnabled?: boolean; width?: number; height?: number } = {}): Promise<BrowserContext> {
  fs.mkdirSync(userDataDir, { recursive: true });
  if (fs.readdirSync(userDataDir).length > 0) throw new Error(`${userDataDir} is not empty: each browser gets a new profile`);
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: { width: options.width ?? 1440, height: options.height ?? 1000 },
  });
}

/** Everything a page complains about: console errors and warnings, uncaught exceptions, failed requests, HTTP errors. */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // An EventSource cut by a page navigation or a dashboard restart is not a problem of the page.
    if (request.url().includes('/api/events')) return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return problems;
}
