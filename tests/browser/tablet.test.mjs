// The tablet app end to end: the real page in headless Debian Chromium, driven by
// playwright-core, against a real `stillroom demo` started here on a loopback port.
// Run by run.sh (ctest "browser"). Screenshots go to $SCREENSHOT_DIR.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const STATE = mkdtempSync(join(tmpdir(), "stillroom-browser-"));
let PORT = 0;
let BASE = "";
let server = null;
let browser = null;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function waitFor(fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await fn()) return true; } catch { /* not yet */ }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startServer() {
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", STATE, "--listen", `127.0.0.1:${PORT}`,
                       "--audio", "null", "--speed", "100"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok), "stillroom demo did not come up");
}

async function stopServer() {
  if (!server) return;
  const s = server; server = null;
  const exited = new Promise((r) => s.once("exit", r));
  s.kill("SIGTERM");
  await exited;
}

async function apiLogin(pin) {
  const r = await fetch(BASE + "/api/v1/login", { method: "POST", body: JSON.stringify({ pin }) });
  return (await r.json()).token;
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, colorScheme: "dark" });
  return context.newPage();
}

async function enterPin(page, pin) {
  for (const d of pin) await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#pinpad button[data-key="OK"]');
}

before(async () => {
  PORT = await freePort();
  BASE = `http://127.0.0.1:${PORT}`;
  await startServer();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer();
});

test("therapist: log in, start IM ketamine, dose, reminder with vitals, comfort, end", async () => {
  const page = await newPage();
  await page.goto(BASE + "/");
  await page.screenshot({ path: join(SHOTS, "login.png") });
  // A wrong PIN is refused, plainly.
  await enterPin(page, "0000");
  await page.waitForSelector("#login-error:has-text('Wrong PIN')");
  await enterPin(page, "1357");
  await page.waitForSelector("#no-session:not(.hidden)");
  await page.screenshot({ path: join(SHOTS, "therapist-start.png") });
  await page.click('#templates button[data-template="im-ketamine"]');
  await page.waitForSelector("#phase-name:has-text('Settle')");
  await page.click("#b-dose");
  await page.waitForSelector("#phase-name:has-text('Onset')");
  assert.notEqual(await page.textContent("#since-dose"), "not yet");
  // dose+15m comes after 9 s at --speed 100: a silent reminder with a vitals form.
  await page.waitForSelector("#reminders .reminder", { timeout: 20000 });
  await page.screenshot({ path: join(SHOTS, "therapist-reminder.png") });
  await page.fill('#reminders .reminder input[data-key="systolic"]', "128");
  await page.fill('#reminders .reminder input[data-key="diastolic"]', "82");
  await page.fill('#reminders .reminder input[data-key="hr"]', "71");
  await page.click("#reminders .reminder button.primary");
  await page.waitForFunction(() => document.querySelectorAll("#reminders .reminder").length === 0
                                    || !document.querySelector("#reminders .reminder input[data-key='systolic']")?.value);
  await page.click("#b-comfort");
  await page.waitForSelector("#status-flags:has-text('COMFORT')");
  await page.screenshot({ path: join(SHOTS, "therapist-comfort.png") });
  await page.click("#b-comfort");
  await page.waitForFunction(() => !document.querySelector("#status-flags").textContent.includes("COMFORT"));
  // A tap on End does nothing: it must be held.
  await page.click("#b-end");
  assert.ok(!(await page.textContent("#status-flags")).includes("ENDING"));
  const box = await page.locator("#b-end").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(1800);
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector("#status-flags").textContent.includes("ENDING")
                                   || !document.querySelector("#no-session").classList.contains("hidden"));
  // Nothing on the page is bright: the darkest theme all the way.
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(11, 12, 14)");
  await page.context().close();
});

test("a state change reaches an SSE client within 100 ms", async () => {
  const token = await apiLogin("2468");
  // A fresh session to act on.
  await fetch(BASE + "/api/v1/session/end", { method: "POST", headers: { Authorization: "Bearer " + token } });
  await waitFor(async () => {
    const st = await (await fetch(BASE + "/api/v1/state", { headers: { Authorization: "Bearer " + token } })).json();
    return !st.session || st.session.status === "finished";
  }, 20000);
  await fetch(BASE + "/api/v1/session/start", { method: "POST", headers: { Authorization: "Bearer " + token },
                                                 body: JSON.stringify({ template: "im-ketamine" }) });
  const ctrl = new AbortController();
  const res = await fetch(BASE + "/api/v1/events", { headers: { Authorization: "Bearer " + token }, signal: ctrl.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const waitForComfort = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buf += decoder.decode(value, { stream: true });
      if (buf.includes('"comfort":true')) return performance.now();
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  await fetch(BASE + "/api/v1/session/comfort", { method: "POST", headers: { Authorization: "Bearer " + token } });
  const t1 = await waitForComfort;
  ctrl.abort();
  assert.ok(t1 !== null);
  const ms = t1 - t0;
  console.log(`SSE: state change seen ${ms.toFixed(1)} ms after the action`);
  assert.ok(ms < 100, `took ${ms} ms`);
});

test("curator: edit a playlist; an invalid save changes nothing", async () => {
  const page = await newPage();
  await page.goto(BASE + "/");
  await enterPin(page, "8642");
  await page.waitForSelector('#playlists button[data-playlist="onset"]');
  await page.click('#playlists button[data-playlist="onset"]');
  await page.waitForSelector("#editor:not(.hidden)");
  await page.waitForSelector("#ed-tracks tr");
  const file = join(LIBRARY, "playlists", "onset.json");
  const before = readFileSync(file, "utf8");
  await page.fill("#ed-crossfade", "soon");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems .fault");
  assert.match(await page.textContent("#ed-problems"), /crossfade/);
  assert.equal(readFileSync(file, "utf8"), before, "an invalid save must leave the file byte-identical");
  await page.screenshot({ path: join(SHOTS, "curator-problem.png") });
  await page.fill("#ed-crossfade", "12s");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems:has-text('Saved.')");
  await page.screenshot({ path: join(SHOTS, "curator.png") });
  await page.context().close();
});

test("clinic: devices with health, and the page reconnects after a server restart", async () => {
  const page = await newPage();
  await page.goto(BASE + "/");
  await enterPin(page, "2468");
  await page.waitForSelector("#tabs:not(.hidden)");
  await page.click('nav button[data-screen="clinic"]');
  await page.waitForSelector("#devices button[data-light='ceiling']");
  await page.screenshot({ path: join(SHOTS, "clinic.png") });
  await page.click("#devices button[data-light='ceiling']");
  await page.waitForSelector("#live.live");
  await stopServer();
  await page.waitForSelector("#live:not(.live)");
  await startServer(); // same state dir: the session resumes
  await page.waitForSelector("#live.live", { timeout: 15000 });
  await page.context().close();
});
