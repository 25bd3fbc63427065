// Debian's Chromium through playwright-core: no browser is downloaded.
// Playwright gives every launch a fresh temporary profile (its own
// --user-data-dir, removed at close); headless and --no-sandbox come from
// the launch options.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { repo } from './doord.js';

export const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false, // --no-sandbox: CI runs as root
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

// axe checks the page as it is now and returns the serious and critical
// violations (rule id, impact, the first few targets).
export async function axeProblems(page) {
  const res = await new AxeBuilder({ page }).analyze();
  return res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}

// Screenshots go to a scratch directory on every run (make test leaves the
// tree as it was); DOORD_SCREENSHOTS names another, and `make screenshots`
// points it at the README's copies (httpapi/console/screenshots).
export const shots = process.env.DOORD_SCREENSHOTS || join(tmpdir(), 'doord-console-screenshots');

export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, name + '.png'), animations: 'disabled', caret: 'hide' });
}
