/** Shared pieces of the browser suites: Debian's Chromium, artifacts folder, bounded polling. */
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { setTimeout as delay } from 'node:timers/promises';

export const CHROMIUM = '/usr/bin/chromium';
/** Flags that work on this workplace's machines (no network beyond loopback, running as root). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'];
export const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
/** Bound for each browser wait (navigation, element, popup). */
export const STEP_MS = 15_000;

/** Calls `probe` until it returns a value (not undefined), at most `timeoutMs`; the last value seen goes into the error. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, describeLast: () => string, timeoutMs = 10_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last seen: ${describeLast()})`);
    await delay(everyMs);
  }
}

/**
 * Launches Debian's Chromium with one context and page, and records page errors and CSP
 * violations raised on the service's own pages (those under `apiUrl()`, not the inbox).
 */
export async function openBrowser(apiUrl: () => string): Promise<{ browser: Browser; context: BrowserContext; page: Page; problems: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  const problems: string[] = [];
  context.on('page', (p) => {
    p.on('pageerror', (err) => {
      if (p.url().startsWith(apiUrl())) problems.push(`${p.url()}: ${err.message}`);
    });
    p.on('console', (msg) => {
      if (p.url().startsWith(apiUrl()) && msg.type() === 'error' && /content security policy/i.test(msg.text())) problems.push(`${p.url()}: ${msg.text()}`);
    });
  });
  return { browser, context, page: await context.newPage(), problems };
}
