#!/usr/bin/env node
// Renders the harness's server-rendered dashboard in a real Chromium and
// reports what a Rust integration test needs to judge it.
//
// Usage: node tests/tools/dashboard.mjs URL OUTDIR [--width N]...
//   (default widths: 1400 and 390)
//
// For every width: a fresh headless Chromium, a page of WIDTHx900, the page
// loaded ('load'), its scroll/client sizes, console errors, page errors and
// failed requests, the axe-core violations, and a full-page screenshot
// OUTDIR/dashboard-WIDTH.png. At the first width it also extracts the
// data-strip / data-result bars, the data-uptime figures and the
// svg[data-sparkline] charts from the DOM.
//
// Prints ONE JSON object on stdout; diagnostics go to stderr.
// Exit 0: the page loaded (violations or not; the caller judges).
// Exit 1: Chromium could not start or the page did not load.
// Exit 2: bad usage.
//
// Chromium: $CHROMIUM, else `chromium` on PATH (Debian's package).
// puppeteer-core never downloads a browser.

import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import axe from 'axe-core';

const USAGE = 'usage: node tests/tools/dashboard.mjs URL OUTDIR [--width N]... (default widths 1400 390)';
const NAV_TIMEOUT_MS = 30_000;
const HEIGHT = 900;

function usage(msg) {
  process.stderr.write(`dashboard.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const widths = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let value;
    if (a === '--width') {
      if (i + 1 >= argv.length) usage('--width needs a value');
      value = argv[++i];
    } else if (a.startsWith('--width=')) {
      value = a.slice('--width='.length);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      positional.push(a);
      continue;
    }
    if (!/^[1-9][0-9]*$/.test(value)) usage(`--width wants a positive integer, got ${JSON.stringify(value)}`);
    const w = Number(value);
    if (w > 10_000) usage(`--width ${w} is too large`);
    if (!widths.includes(w)) widths.push(w);
  }
  if (positional.length !== 2) usage(`expected URL and OUTDIR, got ${positional.length} argument(s)`);
  const [url, outdir] = positional;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    usage(`not a URL: ${JSON.stringify(url)}`);
  }
  if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) usage(`unsupported URL scheme ${parsed.protocol}`);
  return { url, outdir, widths: widths.length ? widths : [1400, 390] };
}

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

// Thrown for "Chromium cannot start / page does not load": exit 1 once the
// browser has been closed by the finally below.
class Fatal extends Error {}
function fail(msg) {
  throw new Fatal(msg);
}

// Runs in the page: strips, uptime figures, sparklines.
function extractDom() {
  const strips = [...document.querySelectorAll('[data-strip]')].map((el) => ({
    strip: el.getAttribute('data-strip'),
    bars: [...el.querySelectorAll('[data-result]')].map((b) => ({
      result: b.dataset.result,
      href: b.getAttribute('href'),
      title: b.getAttribute('title') || b.querySelector('title')?.textContent || null,
    })),
  }));
  const uptime = [...document.querySelectorAll('[data-uptime]')].map((el) => ({
    uptime: el.getAttribute('data-uptime'),
    window: el.dataset.window ?? null,
    value: el.dataset.value ?? null,
    up: el.dataset.up ?? null,
    counted: el.dataset.counted ?? null,
    text: el.textContent.trim(),
  }));
  const sparklines = [...document.querySelectorAll('svg[data-sparkline]')].map((el) => el.getAttribute('data-sparkline'));
  return { strips, uptime, sparklines: { count: sparklines.length, names: sparklines } };
}

async function runAxe() {
  // eslint-disable-next-line no-undef
  const results = await axe.run(document, { resultTypes: ['violations'] });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? null,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => ({
      target: n.target,
      html: typeof n.html === 'string' && n.html.length > 200 ? `${n.html.slice(0, 200)}…` : n.html,
    })),
  }));
}

async function renderAt(executablePath, url, outdir, width, wantDom) {
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  } catch (e) {
    fail(`cannot start Chromium (${executablePath}): ${e.message}`);
  }
  try {
    const page = await browser.newPage();
    await page.setViewport({ width, height: HEIGHT, deviceScaleFactor: 1 });
    const consoleErrors = [];
    // Chromium fetches /favicon.ico by itself, after or around 'load'; its
    // 404 is not the page's fault and would make the report flaky, so it
    // goes to ignoredConsoleErrors instead.
    const ignoredConsoleErrors = [];
    const isFavicon = (u) => {
      try {
        return new URL(u).pathname === '/favicon.ico';
      } catch {
        return false;
      }
    };
    page.on('console', (m) => {
      if (m.type() === 'error') {
        const loc = m.location();
        const where = loc && loc.url ? ` (${loc.url}${loc.lineNumber != null ? `:${loc.lineNumber + 1}` : ''})` : '';
        const line = `console.error: ${m.text()}${where}`;
        if (loc && isFavicon(loc.url) && /^Failed to load resource/.test(m.text())) ignoredConsoleErrors.push(line);
        else consoleErrors.push(line);
      }
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e && e.message ? e.message : String(e)}`));
    page.on('requestfailed', (r) =>
      (isFavicon(r.url()) ? ignoredConsoleErrors : consoleErrors).push(
        `requestfailed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? 'unknown'}`,
      ),
    );

    let response;
    try {
      response = await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    } catch (e) {
      fail(`page did not load at width ${width}: ${url}: ${e.message}`);
    }
    const status = response ? response.status() : null;
    if (response && !response.ok() && !url.startsWith('file:')) {
      fail(`page did not load at width ${width}: ${url}: HTTP ${status}`);
    }

    const sizes = await page.evaluate(() => ({
      scrollHeight: document.documentElement.scrollHeight,
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));

    // Extract before axe runs, so the DOM is exactly what the server sent
    // plus whatever the page's own scripts did.
    const dom = wantDom ? await page.evaluate(extractDom) : null;

    // Runtime.evaluate rather than addScriptTag: a <script> element would be
    // refused by a strict Content-Security-Policy, which the dashboard may send.
    await page.evaluate(axe.source);
    const violations = await page.evaluate(runAxe);

    const screenshot = path.resolve(outdir, `dashboard-${width}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });

    return { result: { status, ...sizes, consoleErrors, ignoredConsoleErrors, violations, screenshot }, dom };
  } finally {
    await browser.close().catch((e) => process.stderr.write(`dashboard.mjs: closing Chromium: ${e.message}\n`));
  }
}

async function main() {
  const { url, outdir, widths } = parseArgs(process.argv.slice(2));
  const executablePath = findChromium();
  if (!executablePath) fail('no Chromium: set CHROMIUM or put `chromium` on PATH (apt-get install chromium)');
  try {
    mkdirSync(outdir, { recursive: true });
  } catch (e) {
    fail(`cannot create OUTDIR ${outdir}: ${e.message}`);
  }

  const out = { url, widths: {}, strips: [], uptime: [], sparklines: { count: 0, names: [] } };
  for (const [i, width] of widths.entries()) {
    const t0 = Date.now();
    const { result, dom } = await renderAt(executablePath, url, outdir, width, i === 0);
    out.widths[String(width)] = result;
    if (dom) Object.assign(out, dom);
    process.stderr.write(
      `dashboard.mjs: width ${width}: ${result.violations.length} violation(s), ${result.consoleErrors.length} console error(s), ${Date.now() - t0} ms\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e) => {
  const msg = e instanceof Fatal ? e.message : e && e.stack ? e.stack : String(e);
  process.stderr.write(`dashboard.mjs: ${msg}\n`);
  process.exitCode = 1;
});
