// The session record in the browser: a session run over the API against a real
// `stillroom demo` (--speed 100), then the tablet's History screen, the report in its frame,
// saving it as a file, and the printable report page itself. Screenshots go to
// $SCREENSHOT_DIR (report.png, history.png, report-tablet-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const STATE = mkdtempSync(join(tmpdir(), "stillroom-report-"));
let BASE = "";
let server = null;
let browser = null;


async function call(token, method, path, body) {
  const r = await fetch(BASE + "/api/v1/" + path, {
    method, headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, data: await r.json() };
}

async function pageAt(width, height, colorScheme = "dark") {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, acceptDownloads: true });
  return context.newPage();
}

async function login(page, pin) {
  await page.goto(BASE + "/");
  for (const d of pin) await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#pinpad button[data-key="OK"]');
}

before(async () => {
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", STATE, "--listen", `127.0.0.1:${port}`,
                       "--audio", "null", "--speed", "100"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
});

test("observation buttons, History, a report to open, save and print", async () => {
  const token = (await (await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: "1357" }) })).json()).token;
  assert.equal((await call(token, "POST", "session/start", { template: "esketamine-nasal", label: "R1-AM" })).status, 200);
  assert.equal((await call(token, "POST", "session/vitals", { systolic: 132, diastolic: 84, hr: 74, spo2: 98 })).status, 200);
  assert.equal((await call(token, "POST", "session/dose")).status, 200);

  // The therapist marks an observation with one tap on the session screen.
  const page = await pageAt(1180, 820);
  await login(page, "1357");
  await page.waitForSelector('#observe button[data-code="nausea"]');
  await page.screenshot({ path: join(SHOTS, "therapist-observe.png") });
  await page.click('#observe button[data-code="nausea"]');
  await page.waitForSelector("#action-note:has-text('Observed: Nausea: done')");

  // More of the session at --speed 100 (1 s = 100 s): a high reading, comfort, the end.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await call(token, "POST", "session/vitals", { systolic: 168, diastolic: 96, hr: 88, spo2: 96 })).status, 200);
  assert.equal((await call(token, "POST", "session/observe", { code: "dissociation" })).status, 200);
  // Entries: each listed with who and when; the user who made it marks a mis-tap entered in
  // error: it stays, struck through (issue 20).
  const entry = '#entries-list tr:has-text("Dissociation")';
  await page.waitForSelector(`${entry} button[data-undo]`);
  await page.click(`${entry} button[data-undo]`);
  await page.waitForSelector(`${entry} s`);
  assert.match(await page.textContent(entry), /entered in error/);
  assert.match(await page.textContent(entry), /therapist/);
  assert.equal((await call(token, "POST", "session/comfort", { on: true })).status, 200);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await call(token, "POST", "session/comfort", { on: false })).status, 200);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await call(token, "POST", "session/vitals", { systolic: 126, diastolic: 80, hr: 70, spo2: 98 })).status, 200);
  assert.equal((await call(token, "POST", "session/end")).status, 200);
  assert.ok(await waitFor(async () => (await call(token, "GET", "state")).data.session.status === "finished", 20000));
  const id = (await call(token, "GET", "state")).data.session.id;

  // The end-of-session summary links to the report.
  await page.waitForSelector("#summary:not(.hidden)");
  await page.click("#summary-report");
  await page.waitForSelector("#report-panel:not(.hidden)");
  const frame = page.frameLocator("#report-frame");
  await frame.locator("svg.timeline").waitFor();
  assert.match(await frame.locator("h1").textContent(), /Session record/);
  assert.match(await frame.locator("body").textContent(), /BP at ~40 min: missing/);
  assert.match(await frame.locator("body").textContent(), /Nausea|nausea/);
  assert.match(await frame.locator("body").textContent(), /entered-in-error \(by therapist at /);
  await page.screenshot({ path: join(SHOTS, "report-tablet-1180x820.png") });

  // Save as a file: a download named after the session.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#b-report-csv")]);
  assert.equal(download.suggestedFilename(), `stillroom-${id}.csv`);
  // Print goes to the frame's own print (the dialog itself cannot be shown headless).
  assert.equal(await page.evaluate(() => typeof document.getElementById("report-frame").contentWindow.print), "function");

  // History lists it with its flags.
  await page.click("#b-report-close");
  await page.waitForSelector(`#history-list button[data-report="${id}"]`);
  const row = await page.textContent("#history-list tr");
  assert.match(row, /R1-AM/);
  assert.match(row, /BP at ~40 min: missing/);
  assert.match(row, /vitals flagged/);
  await page.screenshot({ path: join(SHOTS, "history.png") });

  // The page at the other tablet sizes.
  for (const [w, h] of [[820, 1180], [390, 844]]) {
    const p = await pageAt(w, h);
    await login(p, "1357");
    await p.click("#b-history");
    await p.click(`#history-list button[data-report="${id}"]`);
    await p.frameLocator("#report-frame").locator("svg.vitals").waitFor();
    await p.screenshot({ path: join(SHOTS, `report-tablet-${w}x${h}.png`) });
    await p.context().close();
  }

  // The printable page on its own, as a clinic would file it.
  const html = await (await fetch(`${BASE}/api/v1/reports/${id}?format=html`, { headers: { "Authorization": "Bearer " + token } })).text();
  // Readable whatever the viewer prefers: every table cell, definition and SVG label has at
  // least 4.5:1 contrast against what is really behind it, in a dark and in a light scheme.
  for (const scheme of ["dark", "light"]) {
    const printable = await pageAt(960, 800, scheme);
    await printable.setContent(html);
    assert.equal(await printable.locator("svg.vitals circle").count() > 0, true);
    const worst = await printable.evaluate(contrastCheck);
    assert.ok(worst.checked > 50, `checked only ${worst.checked} elements`);
    assert.ok(worst.ratio >= 4.5, `${scheme} scheme: ${worst.what} has contrast ${worst.ratio.toFixed(2)}:1 (${worst.fg} on ${worst.bg})`);
    await printable.screenshot({ path: join(SHOTS, scheme === "dark" ? "report.png" : "report-light.png"), fullPage: true });
    // Printed: the same page on paper keeps its colours and fits A4.
    await printable.emulateMedia({ media: "print" });
    const printed = await printable.evaluate(contrastCheck);
    assert.ok(printed.ratio >= 4.5, `print: ${printed.what} has contrast ${printed.ratio.toFixed(2)}:1`);
    assert.ok((await printable.pdf({ format: "A4" })).length > 1000, "the report prints to a PDF");
    await printable.context().close();
  }
  await page.context().close();
});

// Runs in the page: the worst WCAG contrast ratio of text against its effective background
// (the first non-transparent background up the tree, or the canvas). Checks table cells,
// the summary list and the SVG labels (their fill against the SVG's background).
function contrastCheck() {
  const rgb = (c) => { const m = c.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = (e) => {
    for (let n = e; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.a > 0.5) return c;
    }
    // Nothing painted a background: the canvas. Chromium paints it dark (#121212) when the
    // viewer prefers dark, unless the page fixes a light scheme (seen: a page with no
    // color-scheme and no background, screenshot with colorScheme "dark").
    const fixedLight = /light/.test(getComputedStyle(document.documentElement).colorScheme);
    return matchMedia("(prefers-color-scheme: dark)").matches && !fixedLight ? rgb("rgb(18,18,18)") : rgb("rgb(255,255,255)");
  };
  let worst = { ratio: 99, what: "", fg: "", bg: "", checked: 0 };
  const check = (e, fgText) => {
    if (!e.textContent.trim()) return;
    const fg = rgb(fgText), bg = bgOf(e.closest("svg") && e.tagName !== "svg" ? e.closest("svg") : e);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    worst.checked++;
    if (ratio < worst.ratio) worst = { ratio, what: e.tagName + ":" + e.textContent.trim().slice(0, 30), fg: fgText,
                                       bg: `rgb(${bg.r},${bg.g},${bg.b})`, checked: worst.checked };
  };
  for (const e of document.querySelectorAll("td, th, dt, dd, h1, h2, p")) check(e, getComputedStyle(e).color);
  for (const e of document.querySelectorAll("svg text")) check(e, getComputedStyle(e).fill);
  return worst;
}
