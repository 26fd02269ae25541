// Issue 19 on the tablet: the therapist's screen tells the truth. A real `stillroom demo` at
// real pace (--speed 1) on its own copy of the example library, driven in headless Chromium.
// Clocks run on between states and after a reload; the volume number shows the target; Lights
// up, Comfort and Volume work in the end fade; a silence alert sits at the top; a library
// fault is one calm line for the therapist and a full list for the curator and the clinic;
// a name is not a label. Screenshots go to $SCREENSHOT_DIR (truth-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), "stillroom-truth-"));
const LIBRARY = join(WORK, "library");
const STATE = join(WORK, "state");
const PIN = { clinic: "2468", therapist: "1357", curator: "8642" };
let BASE = "";
let server = null;
let browser = null;
let token = "";

async function api(method, path, body) {
  const r = await fetch(BASE + "/api/v1/" + path, { method, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
                                                   body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, data: await r.json().catch(() => ({})) };
}
const state = async () => (await api("GET", "state")).data;
const running = (s) => s && s.session && s.session.status !== "finished";
// The running session (the demo's end fade lasts two minutes at real pace, so the tests share
// one session and only the end-fade test ends it).
async function inSession(template = "im-ketamine") {
  const s = await state();
  if (running(s) && s.session.status === "running") return s.session;
  const r = await api("POST", "session/start", { template, label: "T19" });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.state.session;
}
async function page(pin = PIN.therapist, viewport = { width: 1180, height: 820 }) {
  const context = await browser.newContext({ viewport, colorScheme: "dark" });
  const p = await context.newPage();
  await p.goto(BASE + "/");
  for (const d of pin) await p.click(`#pinpad button[data-key="${d}"]`);
  await p.click('#pinpad button[data-key="OK"]');
  await p.waitForSelector("#live.live");
  return p;
}
// "1:02:03" or "12:34" -> seconds
function secs(t) { return t.trim().split(":").map(Number).reduce((a, b) => a * 60 + b, 0); }

before(async () => {
  spawnSync("cp", ["-a", new URL("../../examples/library", import.meta.url).pathname, LIBRARY]);
  spawnSync("rm", ["-rf", join(LIBRARY, "state")]);
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", STATE, "--listen", `127.0.0.1:${port}`,
                       "--audio", "null", "--speed", "1"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  const r = await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: PIN.clinic }) });
  token = (await r.json()).token;
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  spawnSync("rm", ["-rf", WORK]);
});

test("clocks run on between states, Hold stops only the phase clock, a reload shows the true time since dose", async () => {
  await inSession();
  await api("POST", "session/dose", {});
  const p = await page();
  await p.waitForSelector("#session:not(.hidden)");
  // The phase clock moves on its own (the room sends nothing between its 5 s states).
  const phase0 = await p.textContent("#phase-clock");
  assert.ok(await waitFor(async () => (await p.textContent("#phase-clock")) !== phase0, 3000), "the phase clock stands still");
  // Hold: the phase clock stops; since start and since dose go on.
  await p.click("#b-hold");
  await p.waitForSelector("#b-hold.on");
  await p.waitForSelector("#status-flags:has-text('HELD')");
  const held = await p.textContent("#phase-clock");
  const dose0 = secs(await p.textContent("#since-dose"));
  assert.ok(await waitFor(async () => secs(await p.textContent("#since-dose")) >= dose0 + 2, 4000), "since dose stopped on Hold");
  assert.equal(await p.textContent("#phase-clock"), held, "the phase clock ran during Hold");
  await p.click("#b-hold");
  // A reload (or a second tablet) at once shows the room's time since dose, not a stale one.
  assert.ok(await waitFor(async () => (await state()).session.since_dose >= 6, 10000));
  const p2 = await page(PIN.clinic);
  await p2.waitForSelector("#session:not(.hidden)");
  // The room's time just before and just after the page is read: the page (whole seconds)
  // lies between them, never seconds behind (a stale first state would be up to 5 s old).
  const before = (await state()).session.since_dose;
  const shown = secs(await p2.textContent("#since-dose"));
  const after = (await state()).session.since_dose;
  assert.ok(shown >= Math.floor(before) - 1 && shown <= after + 1, `since dose ${shown} s on the page, ${before}–${after} s in the room`);
  await p2.screenshot({ path: join(SHOTS, "truth-clocks-1180x820.png") });
  // "Ends about" follows an overrun: ten minutes past the phase's plan moves it ten minutes.
  await p2.waitForSelector("#tl-end");
  const endsBefore = secs((await p2.textContent("#tl-end")).replace("ends about ", ""));
  await p2.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state);
    s.session.phase = { ...s.session.phase, elapsed: s.session.phase.planned + 600, remaining: -600 };
    s.session.since_start += s.session.phase.planned + 600 - state.session.phase.elapsed; render(s); });
  const endsAfter = secs((await p2.textContent("#tl-end")).replace("ends about ", ""));
  assert.ok(endsAfter - endsBefore >= 590, `ends about ${endsBefore} s, after a 10 min overrun ${endsAfter} s`);
  await p.context().close(); await p2.context().close();
});

test("a silence alert sits at the top of the session until Seen", async () => {
  await inSession();
  const p = await page(PIN.therapist, { width: 390, height: 844 });
  await p.waitForSelector("#session:not(.hidden)");
  assert.equal(await p.isVisible("#silence-alert"), false);
  // The demo's playlists loop (the room refuses one that would fall silent), so the page is
  // shown the state a silent phase makes, with the room's stream paused meanwhile.
  await p.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state); s.session.silence = { seconds: 12, alert: true }; s.session.now_playing = null; render(s); });
  await p.waitForSelector("#silence-alert:not(.hidden)");
  const alert = await p.locator("#silence-alert").boundingBox();
  const timeline = await p.locator("#timeline").boundingBox();
  assert.ok(alert.y < timeline.y, "the alert is not at the top");
  assert.match(await p.textContent("#silence-for"), /for 0:1\d/);
  await p.screenshot({ path: join(SHOTS, "truth-silence-390x844.png") });
  await p.click("#b-silence-seen");
  assert.equal(await p.isVisible("#silence-alert"), false);
  // The same silence stays acknowledged on the next state.
  await p.evaluate(() => { const s = structuredClone(state); s.session.silence = { seconds: 14, alert: true }; s.session.since_start += 2; render(s); });
  assert.equal(await p.isVisible("#silence-alert"), false);
  await p.context().close();
});

test("a library fault: one calm line below the therapist's controls; the full list for the curator and the clinic", async () => {
  await inSession();
  // Loop off on a playlist that serves long phases: written by hand (the API refuses it).
  const file = join(LIBRARY, "playlists", "peak.json");
  const original = readFileSync(file, "utf8");
  const pl = JSON.parse(original); pl.loop = false;
  writeFileSync(file, JSON.stringify(pl, null, 2));
  try {
    assert.ok(await waitFor(async () => (await state()).library.in_force === "last-good", 15000), "the room did not reject the broken file");
    for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
      const p = await page(PIN.therapist, { width: w, height: h });
      await p.waitForSelector("#library-line:not(.hidden)");
      assert.equal(await p.isVisible("#faults"), false, "a library fault in the device box");
      const line = await p.locator("#library-line").boundingBox();
      const end = await p.locator("#b-end").boundingBox();
      assert.ok(line.y > end.y + end.height, `the line is above the controls at ${w}`);
      assert.ok(line.height < 30, `more than one calm line at ${w} (${line.height} px)`);
      await p.screenshot({ path: join(SHOTS, `truth-library-therapist-${w}x${h}.png`), fullPage: true });
      await p.context().close();
    }
    const c = await page(PIN.curator);
    await c.waitForSelector("#library-problems-curator:not(.hidden)");
    assert.match(await c.textContent("#library-problems-curator"), /last library that loaded cleanly/);
    assert.match(await c.textContent("#library-problems-curator"), /peak/);
    await c.screenshot({ path: join(SHOTS, "truth-library-curator-1180x820.png") });
    await c.context().close();
    const k = await page(PIN.clinic);
    await k.click('nav button[data-screen="clinic"]');
    await k.waitForSelector("#library-problems-clinic:not(.hidden)");
    await k.context().close();
  } finally {
    writeFileSync(file, original);
  }
  assert.ok(await waitFor(async () => (await state()).library.in_force === "disk", 15000));
});

test("the volume number shows the target at once; Lights up, Comfort and Volume work in the end fade", async () => {
  await inSession();
  const p = await page();
  await p.waitForSelector("#session:not(.hidden)");
  // The level glides; the number is where it goes. (The room's stream is paused while the
  // page is shown a state mid-glide, then resumed.)
  await p.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state); s.session.volume = { ...s.session.volume, effective_db: -37.4, target_db: -23 }; render(s); });
  assert.equal(await p.textContent("#volume"), "-23 dB");
  await p.evaluate(() => { listen(); }); // resumes the stream (not awaited: it runs until closed)
  await api("POST", "session/end", {});
  await p.waitForSelector("#status-flags:has-text('ENDING')");
  // The fade says what it does: the level it is at (not its target, silence), and no next phase.
  assert.equal(await p.textContent("#volume-trim"), "fading out");
  assert.equal(await p.textContent("#next-phase"), "none: the session is ending");
  const ending = (await state()).session.volume;
  assert.notEqual(await p.textContent("#volume"), Math.round(ending.target_db) + " dB");
  for (const id of ["#b-lights", "#b-vol-down", "#b-comfort"]) assert.equal(await p.isEnabled(id), true, id + " is off in the end fade");
  await p.click("#b-lights");
  await p.waitForSelector("#action-note.done");
  await p.waitForSelector("#b-lights.on");
  await p.click("#b-vol-down");
  await p.waitForSelector("#action-note:has-text('Volume')");
  assert.ok(await waitFor(async () => (await state()).session.volume.trim_db < 0, 3000), "Volume − did nothing in the end fade");
  assert.equal((await state()).session.status, "ending");
  await p.screenshot({ path: join(SHOTS, "truth-end-fade-1180x820.png") });
  await p.context().close();
});

test("a name is not a label: Jane-Doe is refused on the page", async () => {
  if (running(await state())) await api("POST", "session/end", {});
  assert.ok(await waitFor(async () => !running(await state()), 200000));
  const p = await page();
  // The last session's summary first; New session goes to the start screen.
  await p.waitForSelector("#summary:not(.hidden), #no-session:not(.hidden)");
  if (await p.isVisible("#summary")) await p.click("#b-new-session");
  await p.waitForSelector("#no-session:not(.hidden)");
  await p.fill("#label", "Jane-Doe");
  await p.click('#templates button[data-template="im-ketamine"]');
  await p.waitForSelector("#label.bad");
  assert.equal(await p.getAttribute("#label-rule", "class"), "fault");
  assert.equal(running(await state()), false, "a session started with a name as its label");
  await p.context().close();
});
