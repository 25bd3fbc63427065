// Measures the people search in the browser against a running doord
// (DOORD_URL, admin password DOORD_PW): for each query, the searchbox is
// filled (one input event, as a paste or a first keystroke) PAUSE ms
// (default 400: a person reads the last answer before the next search)
// after the previous answer was drawn, and two times are taken in the
// page: typed → rendered (the input event to the People table redrawn
// with the answer; a search asked within 150 ms of the previous one waits
// for the console's debounce, one asked after a pause does not) and
// request → rendered (the search request's start,
// from Resource Timing, to the redraw: what the server, the network and
// the rendering cost). Prints p50, p95 and max of each as JSON.
import { launch, desktop } from '../lib/browser.js';

const url = process.env.DOORD_URL, pw = process.env.DOORD_PW;
const rounds = Number(process.env.ROUNDS || 3);
const pause = Number(process.env.PAUSE ?? 400);
const queries = ['müller', 'anna', 'an', 'sch', 'zimmermann', 'user123456@', 'user99@', 'example.org', 'zoe kr', 'wolf', 'o', 'nobody-at-all', 'ines', 'braun', 'user5000'];

const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: desktop })).newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(url + '/');
  await page.getByRole('textbox', { name: 'Username' }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(pw);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const box = page.getByRole('searchbox', { name: 'Search people' });
  await box.waitFor();
  await page.evaluate(() => {
    window.__muts = [];
    document.querySelector('input[type=search]').addEventListener('input', () => { window.__typed = performance.now(); }, true);
    new MutationObserver(() => window.__muts.push(performance.now())).observe(document.querySelector('main') || document.body,
      { subtree: true, childList: true, characterData: true });
  });
  const typed = [], request = [];
  for (let r = 0; r < rounds; r++) {
    for (const q of queries) {
      await page.waitForTimeout(pause); // a person between two searches, not a wait for the page
      await page.evaluate(() => { window.__muts = []; performance.clearResourceTimings(); });
      await box.fill(q);
      // Rendered: the first change to the page after the answer arrived.
      const m = await (await page.waitForFunction(q => {
        const want = new URLSearchParams({ q }).toString();
        const e = performance.getEntriesByType('resource').find(e => e.name.includes('/api/v1/users?') && new URL(e.name).search.includes(want));
        const t = e && e.responseEnd > 0 && window.__muts.find(t => t >= e.responseEnd);
        return t ? { typed: t - window.__typed, request: t - e.startTime } : null;
      }, q)).jsonValue();
      if (r > 0) { // the first round warms the index, the page and the connection
        typed.push(m.typed);
        request.push(m.request);
      }
    }
  }
  const stats = xs => {
    const s = [...xs].sort((a, b) => a - b);
    const at = p => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
    return { n: s.length, p50_ms: +at(0.5).toFixed(1), p95_ms: +at(0.95).toFixed(1), max_ms: +s.at(-1).toFixed(1) };
  };
  console.log(JSON.stringify({ typed_to_rendered: stats(typed), request_to_rendered: stats(request) }, null, 1));
} finally {
  await browser.close();
}
