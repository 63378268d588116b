/**
 * Issue 12 item 16: two tabs opened from the demo link `npm start` prints are two devices, each
 * with its own name, and each tab's remote tile is captioned with the OTHER tab's name (before,
 * both tabs shared the device `demo-user`, so your own name captioned the remote tile).
 * Chromium (Debian package, fake camera) against the real stack, with the local token service
 * `npm start` runs (scripts/stack/demo-tokens.ts).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoTokenService, startDemoTokenService } from '../scripts/stack/demo-tokens.ts';
import { launchChromium } from './support/chromium.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
let tokens: DemoTokenService;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  tokens = await startDemoTokenService({
    host: '127.0.0.1',
    allowOrigin: stack.edgeUrl,
    sign: (device, ttlSeconds) => stack.token({ device, ttlSeconds }),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await tokens?.close();
  await stack?.teardown();
});

async function captions(page: Page): Promise<string[]> {
  return (await page.evaluate('globalThis.mediaDemo.remoteCaptions()')) as string[];
}

describe('the demo link from npm start', () => {
  it('gives each tab its own name, and captions the remote tile with the other name', async () => {
    if (!browser) throw new Error('no browser');
    const link = `${stack.edgeUrl}/#mint=${encodeURIComponent(tokens.url)}&key=${tokens.key}`;
    const context = await browser.newContext();
    const pages = [await context.newPage(), await context.newPage()];
    try {
      const names: string[] = [];
      for (const page of pages) {
        await page.goto(link);
        expect(await page.isVisible('#name')).toBe(true);
        expect(await page.isHidden('#token-field')).toBe(true);
        names.push(await page.inputValue('#name'));
        await page.fill('#room', 'names-room');
      }
      expect(names[0]).toMatch(/^guest-\d{4}$/);
      expect(names[1]).toMatch(/^guest-\d{4}$/);
      expect(names[1]).not.toBe(names[0]);
      for (const page of pages) await page.click('#join');

      for (const [i, page] of pages.entries()) {
        const other = names[1 - i];
        const deadline = performance.now() + 30_000;
        while (!(await captions(page)).includes(other ?? '')) {
          if (performance.now() > deadline) {
            throw new Error(
              `tab ${i} captions ${JSON.stringify(await captions(page))}; status ${await page.textContent('#status')}; error ${await page.textContent('#error')}`,
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(await captions(page)).not.toContain(names[i]);
      }
      // Each tab joined as its own device.
      const admin = await stack.api('ops', { admin: true });
      const { sessions } = await admin.listSessions({ room: 'names-room' });
      expect(new Set(sessions.map((s) => s.deviceId))).toEqual(new Set(names));
    } finally {
      await context.close();
    }
  });
});
