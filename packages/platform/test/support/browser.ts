import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Debian's `chromium-headless-shell` first: the same Chromium release built without the browser's UI, it draws the
 * same pages for about a third less CPU than `chromium --headless` (the browser tests: 100 s of machine CPU against
 * 157 s). `CHROMIUM_BIN` picks another.
 */
export const CHROMIUM =
  process.env.CHROMIUM_BIN ??
  ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((bin) => fs.existsSync(bin)) ??
  '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);

/** Where the screenshots go for a reviewer to look at (ignored by git). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '../../../../test-artifacts/portal');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// Evaluated through the DevTools protocol: the pages' CSP allows no inline script, rightly.
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page: fails on any serious or critical violation (WCAG 2.1 AA rules and best practices). */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axeSource);
  // Only violations are read: with resultTypes, axe keeps one node per passed or inapplicable rule, not all of them.
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: { resultTypes: string[] },
          ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, `axe on ${page.url()}`).toEqual([]);
}

/**
 * A screenshot under test-artifacts/portal, and the page checked by axe. Full-page by default; `fullPage: false`
 * for pages tens of thousands of pixels tall (the API reference), whose whole picture nobody looks at and which
 * takes Chromium seconds to draw.
 */
export async function shoot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await expectAccessible(page);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}
