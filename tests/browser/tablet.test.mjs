// The tablet app end to end: the real page in headless Debian Chromium, driven by
// playwright-core, against a real `stillroom demo` started here on a loopback port.
// Run by run.sh (ctest "browser"). Screenshots go to $SCREENSHOT_DIR.
// Every wait is bounded and waits on a condition (the page's DOM or the room's state).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const STATE = mkdtempSync(join(tmpdir(), "stillroom-browser-"));
const PIN = { clinic: "2468", therapist: "1357", curator: "8642" };
let PORT = 0;
let BASE = "";
let server = null;
let browser = null;
let clinicToken = "";


async function startServer() {
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", STATE, "--listen", `127.0.0.1:${PORT}`,
                       "--audio", "null", "--speed", "100"], { stdio: ["ignore", "ignore", "inherit"] });
  // The first start measures the loudness of every track: on a loaded machine that takes a while.
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
}

async function stopServer() {
  if (!server) return;
  const s = server; server = null;
  const exited = new Promise((r) => s.once("exit", r));
  s.kill("SIGTERM");
  await exited;
}

async function apiLogin(pin) {
  const r = await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin }) });
  return (await r.json()).token;
}
async function api(method, path, body, token = clinicToken) {
  const r = await fetch(BASE + "/api/v1/" + path, { method, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
                                                   body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, data: await r.json().catch(() => ({})) };
}
async function session() { return (await api("GET", "state")).data.session; }
const running = (s) => s && s.status !== "finished";

// Ends whatever runs and waits until the room has no running session.
async function noSession() {
  if (running(await session())) await api("POST", "session/end", {});
  assert.ok(await waitFor(async () => !running(await session()), 20000), "the session did not end");
}
async function startSession(template, label) {
  await noSession();
  const r = await api("POST", "session/start", { template, ...(label ? { label } : {}) });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.state.session;
}

async function newPage(viewport = { width: 1180, height: 820 }) {
  const context = await browser.newContext({ viewport, colorScheme: "dark" });
  // The tablet's vibration motor, observed: the page must ask it to buzz for a reminder.
  await context.addInitScript(() => {
    window.__vibrations = [];
    Object.defineProperty(navigator, "vibrate", { value: (p) => { window.__vibrations.push(p); return true; } });
  });
  return context.newPage();
}

async function enterPin(page, pin) {
  for (const d of pin) await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#pinpad button[data-key="OK"]');
}
async function loggedIn(pin, viewport) {
  const page = await newPage(viewport);
  await page.goto(BASE + "/");
  await enterPin(page, pin);
  await page.waitForSelector("#live.live");
  return page;
}
async function holdEnd(page, ms) {
  const box = await page.locator("#b-end").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(ms); // the gesture itself: a hold of this length
  await page.mouse.up();
}
async function timelineOf() { return api("GET", "session/timeline"); }

before(async () => {
  PORT = await freePort();
  BASE = `http://127.0.0.1:${PORT}`;
  await startServer();
  clinicToken = await apiLogin(PIN.clinic);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer();
});

test("therapist: label first, start, dose, reminder in its place, vitals listed, comfort, end needs a hold, summary", async () => {
  await noSession();
  const page = await newPage();
  await page.goto(BASE + "/");
  await page.screenshot({ path: join(SHOTS, "login.png") });
  // A wrong PIN is refused, plainly.
  await enterPin(page, "0000");
  await page.waitForSelector("#login-error:has-text('Wrong PIN')");
  await enterPin(page, PIN.therapist);
  await page.waitForSelector("#no-session:not(.hidden)");
  // The label comes before the template, and a name is refused with the rule.
  const labelBox = await page.locator("#label").boundingBox();
  const templateBox = await page.locator('#templates button[data-template="im-ketamine"]').boundingBox();
  assert.ok(labelBox.y < templateBox.y, "the label is typed before the template is picked");
  await page.fill("#label", "Jane Doe");
  await page.click('#templates button[data-template="im-ketamine"]');
  await page.waitForSelector("#label.bad");
  assert.match(await page.textContent("#label-rule"), /letters, digits and dashes, at most 12/);
  assert.equal(await page.getAttribute("#label-rule", "class"), "fault");
  assert.ok(!running(await session()), "a name as label must not start a session");
  await page.fill("#label", "K-0412");
  await page.screenshot({ path: join(SHOTS, "therapist-start.png") });
  await page.click('#templates button[data-template="im-ketamine"]');
  // The template's preview asks once before music and light begin (issue 19 item 10).
  await page.waitForSelector("#tpl-preview:not(.hidden)");
  assert.match(await page.textContent("#tpl-facts"), /about 75 min · 5 phases · no booster/);
  assert.match(await page.textContent("#tpl-phases"), /Settle: 15m \(until the dose\)/);
  assert.ok(!running(await session()), "a session started before the question");
  await page.screenshot({ path: join(SHOTS, "therapist-start-preview.png") });
  await page.click("#b-start-confirm");
  await page.waitForSelector("#phase-name:has-text('Settle')");
  assert.equal(await page.textContent("#session-label"), "K-0412");
  assert.equal((await session()).label, "K-0412");
  // im-ketamine has no booster: no Booster button.
  assert.ok(await page.locator("#b-booster").isHidden(), "Booster is offered where the template has none");
  await page.click("#b-dose");
  await page.waitForSelector("#phase-name:has-text('Onset')");
  assert.notEqual(await page.textContent("#since-dose"), "not yet");
  // The reminder (dose+15m, 9 s at --speed 100) appears in its fixed area: nothing moves.
  const doseBefore = await page.locator("#b-vol-up").boundingBox();
  await page.waitForSelector("#reminders .reminder", { timeout: 20000 });
  const doseAfter = await page.locator("#b-vol-up").boundingBox();
  assert.deepEqual(doseAfter, doseBefore, "a reminder must not push the controls");
  assert.ok((await page.evaluate(() => window.__vibrations.length)) >= 1, "the tablet buzzes for a reminder");
  assert.ok(await waitFor(() => page.evaluate(() => /overdue \d/.test(document.querySelector("#reminders .overdue").textContent)), 10000),
            "the reminder says how long it is overdue");
  assert.match(await page.evaluate(() => document.body.dataset.wakeLock || ""), /^(held|refused: \w+)$/,
               "the page asks for a screen wake lock while a session runs");
  await page.screenshot({ path: join(SHOTS, "therapist-reminder.png") });
  // Vitals: an impossible value is refused and the field is marked; nothing is recorded.
  await page.click("#reminders .reminder button.primary");
  await page.fill('#vitals input[data-key="systolic"]', "350");
  await page.click("#b-vitals");
  await page.waitForSelector('#vitals input[data-key="systolic"].bad');
  assert.match(await page.textContent("#vitals-note"), /systolic/);
  // A plausible reading arrives in the room's state and is listed with its time since dose.
  await page.fill('#vitals input[data-key="systolic"]', "128");
  await page.fill('#vitals input[data-key="diastolic"]', "82");
  await page.fill('#vitals input[data-key="hr"]', "71");
  await page.click("#b-vitals");
  await page.waitForSelector("#vitals-note:has-text('Saved')");
  // The reminder goes when the room's next state arrives (bounded wait, not a snapshot).
  assert.ok(await waitFor(async () => (await page.locator("#reminders .reminder").count()) === 0, 5000),
            "saving the vitals answers the reminder");
  const listsVitals = (await session()).vitals !== undefined;
  if (listsVitals) {
    assert.ok(await waitFor(async () => (await session()).vitals.some((v) => v.systolic === 128 && v.hr === 71)),
              "the reading reached the room");
    await page.waitForSelector("#vitals-list tr:has-text('128/82')");
    assert.match(await page.textContent("#vitals-list tr:first-child td:first-child"), /^\d+:\d\d$/);
    assert.equal(await page.locator("#vitals-list tr.flagged").count(), 0);
    // Beyond the template's alert limits: accepted, and flagged on the tablet.
    await page.fill('#vitals input[data-key="systolic"]', "172");
    await page.fill('#vitals input[data-key="diastolic"]', "96");
    await page.click("#b-vitals");
    await page.waitForSelector("#vitals-list tr.flagged:has-text('172/96')");
    assert.match(await page.textContent("#vitals-list tr.flagged"), /systolic high/);
    assert.match(await page.textContent("#vitals-note"), /flagged/);
  } else {
    console.log("note: the room does not list vitals in its state yet (issue 9 API): the list is not checked");
  }
  await page.click("#b-comfort");
  await page.waitForSelector("#status-flags:has-text('COMFORT')");
  await page.screenshot({ path: join(SHOTS, "therapist-comfort.png") });
  await page.click("#b-comfort");
  await page.waitForFunction(() => !document.querySelector("#status-flags").textContent.includes("COMFORT"));
  // A tap on End does nothing: wait long enough for any answer to arrive, and it is still running.
  await page.click("#b-end");
  assert.equal(await waitFor(async () => (await session()).status !== "running", 1500), false, "a tap on End ended the session");
  await page.waitForSelector("#action-note:has-text('hold the button')");
  // A short press is not a hold either.
  await holdEnd(page, 500);
  assert.equal(await waitFor(async () => (await session()).status !== "running", 1000), false, "a short press ended the session");
  // A real hold ends it.
  await holdEnd(page, 1800);
  assert.ok(await waitFor(async () => ["ending", "finished"].includes((await session()).status), 3000), "a hold must end the session");
  // The end: a summary with the dose, the phases and the vitals, and the report link.
  await page.waitForSelector("#summary:not(.hidden)", { timeout: 20000 });
  const summary = await page.textContent("#summary");
  assert.match(summary, /Duration/); assert.match(summary, /K-0412/); assert.match(summary, /Dose\s*\d+:\d\d after start/);
  if (listsVitals) assert.match(summary, /Vitals: 2 readings/);
  const id = (await session()).id;
  assert.ok((await page.getAttribute("#summary-report", "href")).includes("/api/v1/reports/" + id));
  assert.ok(!(await page.evaluate(() => document.body.dataset.wakeLock === "held")), "the wake lock is let go after the session");
  await page.screenshot({ path: join(SHOTS, "therapist-summary.png") });
  await page.click("#b-new-session");
  await page.waitForSelector("#no-session:not(.hidden)");
  // Nothing on the page is bright: the darkest theme all the way.
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(11, 12, 14)");
  await page.context().close();
});

test("every tap shows pending, then done or refused with the reason", async () => {
  await startSession("im-ketamine", "T-1");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  // A slow network: the tap shows pending until the room answers.
  let release;
  const gate = new Promise((r) => { release = r; });
  await page.route("**/api/v1/session/hold", async (route) => { await gate; await route.continue(); });
  await page.click("#b-hold");
  await page.waitForSelector("#b-hold.pending");
  assert.equal(await page.textContent("#action-note"), "Hold…");
  release();
  await page.waitForSelector("#action-note.done:has-text('Hold: done')");
  assert.ok(!(await page.locator("#b-hold").evaluate((b) => b.classList.contains("pending"))));
  assert.equal((await session()).held, true);
  await page.unroute("**/api/v1/session/hold");
  // On loopback the answer comes at once (measured here; the goal lives in bench/).
  const ms = await page.evaluate(async () => {
    const t0 = performance.now();
    document.getElementById("b-hold").click();
    while (!/Resume: done/.test(document.getElementById("action-note").textContent)) await new Promise((r) => setTimeout(r, 1));
    return performance.now() - t0;
  });
  console.log(`tap to "done" on loopback: ${ms.toFixed(1)} ms`);
  // Refused: the reason is on the screen.
  await page.fill('#vitals input[data-key="hr"]', "400");
  await page.click("#b-vitals");
  await page.waitForSelector("#action-note.refused:has-text('Vitals refused')");
  assert.match(await page.textContent("#action-note"), /hr/);
  await page.context().close();
});

test("Next never ends a session: off in the last phase, refused by the room", async () => {
  const sess = await startSession("im-ketamine");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  assert.equal((await api("POST", "session/dose", {})).status, 200);
  for (let i = 0; i < sess.phase.count && (await session()).phase.index < sess.phase.count - 1; ++i) {
    const r = await api("POST", "session/next", {});
    assert.equal(r.status, 200, JSON.stringify(r.data.error));
  }
  assert.equal((await session()).phase.index, sess.phase.count - 1);
  await page.waitForSelector("#b-next[disabled]");
  assert.match(await page.getAttribute("#b-next", "title"), /Hold to end/);
  const r = await api("POST", "session/next", {});
  if (r.status === 409) assert.match(r.data.error, /last phase/);
  else console.log(`note: the room answers Next in the last phase with ${r.status} (issue 9 API pending)`);
  assert.ok(running(await session()) || r.status !== 409, "a refused Next must leave the session running");
  await page.context().close();
});

test("fast repeated Volume taps each count", async (t) => {
  await startSession("im-ketamine");
  const st = (await api("GET", "state")).data;
  const vol = (s) => (s.session && s.session.volume) || s.volume;
  if (!vol(st) || vol(st).trim_db === undefined) return t.skip("the room does not report volume.trim_db yet (issue 9 API)");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  const trim0 = vol(st).trim_db;
  for (let i = 0; i < 4; ++i) await page.click("#b-vol-down", { delay: 0 });
  assert.ok(await waitFor(async () => vol((await api("GET", "state")).data).trim_db === trim0 - 8, 3000),
            "four quick taps of 2 dB must lower the trim by 8 dB");
  await page.waitForSelector(`#volume-trim:has-text('${trim0 - 8} dB')`);
  await page.context().close();
});

test("lost connection: a banner, controls paused, back when the room is", async () => {
  await startSession("im-ketamine");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  assert.ok(await page.locator("#conn-banner").isHidden());
  assert.equal(await page.isEnabled("#b-hold"), true);
  await stopServer();
  await page.waitForSelector("#conn-banner:not(.hidden)");
  // The tablet cannot know what the room does: it never claims the room carries on (issue 19).
  assert.match(await page.textContent("#conn-banner"), /cannot reach the room/);
  assert.doesNotMatch(await page.textContent("#conn-banner"), /carries on/);
  assert.equal(await page.isEnabled("#b-hold"), false, "controls stay paused while the room is away");
  assert.equal(await page.isEnabled("#b-vol-up"), false);
  await page.screenshot({ path: join(SHOTS, "therapist-offline.png") });
  await startServer(); // same state dir: the session resumes
  await page.waitForSelector("#conn-banner.hidden", { state: "attached", timeout: 15000 });
  await page.waitForSelector("#live.live");
  assert.equal(await page.isEnabled("#b-hold"), true);
  await page.context().close();
});

test("an expired login asks for the PIN, then says the action was not applied", async () => {
  await startSession("im-ketamine");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  // The login expires between the tablet's last state and its tap: the room answers 401.
  await page.route("**/api/v1/session/hold", (route) => route.fulfill({ status: 401, contentType: "application/json",
    body: JSON.stringify({ error: "log in first (Authorization: Bearer TOKEN)" }) }), { times: 1 });
  await page.click("#b-hold");
  await page.waitForSelector("body.relogin #login");
  assert.match(await page.textContent("#login-reason"), /expired/);
  await enterPin(page, PIN.therapist);
  await page.waitForSelector("body:not(.relogin)");
  await page.waitForSelector("#action-note:has-text('was not applied')");
  assert.match(await page.textContent("#action-note"), /Hold/);
  assert.equal((await session()).held, false, "the action really was not applied");
  assert.ok(await page.locator("#session").isVisible(), "the therapist is back on the session screen");
  // A login revoked by the room (logout elsewhere) ends the tablet's live stream: it asks for
  // the PIN by itself, before any tap.
  const token = await page.evaluate(() => sessionStorage.getItem("stillroom-token"));
  await api("POST", "logout", {}, token);
  await page.waitForSelector("body.relogin #login");
  await enterPin(page, PIN.therapist);
  await page.waitForSelector("body:not(.relogin)");
  await page.context().close();
});

test("booster only where the template has one; the timeline moves with extend, hold and booster", async (t) => {
  await startSession("sublingual-ketamine", "B-2");
  const page = await loggedIn(PIN.therapist);
  await page.waitForSelector("#session:not(.hidden)");
  await page.waitForSelector("#b-booster:not(.hidden)");
  assert.equal(await page.isEnabled("#b-booster"), false, "no booster before the dose");
  if ((await timelineOf()).status === 404) { await page.context().close(); return t.skip("no GET session/timeline yet (issue 9 API)"); }
  // The arc: every phase of the template, a now marker, the next phase and the clock.
  const phases = JSON.parse(readFileSync(join(LIBRARY, "sessions", "sublingual-ketamine.json"), "utf8")).phases;
  await page.waitForSelector("#timeline svg g.phase");
  assert.equal(await page.locator("#timeline svg g.phase").count(), phases.length);
  assert.ok(await page.locator("#tl-now").count() === 1);
  assert.match(await page.textContent("#next-phase"), new RegExp(phases[1].name));
  assert.match(await page.textContent("#wall-clock"), /\d\d:\d\d/);
  await page.click("#b-dose");
  await page.waitForSelector('#timeline svg g.mark[data-mark="dose"]');
  const endOf = (id) => page.evaluate((p) => Number(document.querySelector(`#timeline g.phase[data-phase="${p}"]`)?.dataset.end), id);
  const last = phases[phases.length - 1].id;
  // Extend moves the end of the current phase and everything after it.
  const cur = (await session()).phase.id;
  // The dose can end a phase: let the tablet's timeline settle (the same end twice, 600 ms
  // apart) before taking the "before" values.
  assert.ok(await waitFor(async () => {
    const a = await endOf(cur);
    await new Promise((r) => setTimeout(r, 600));
    return !Number.isNaN(a) && a === await endOf(cur);
  }, 10000), "the timeline settles after the dose");
  const before = { cur: await endOf(cur), last: await endOf(last) };
  await page.click("#b-extend");
  assert.ok(await waitFor(async () => (await endOf(cur)) >= before.cur + 299, 5000), "extend moves the phase end on the tablet");
  assert.ok((await endOf(last)) >= before.last + 299, "extend moves what follows");
  // Booster: its mark, and the phase it extends grows.
  await page.waitForSelector("#b-booster:not([disabled])");
  const lastBefore = await endOf(last);
  await page.click("#b-booster");
  await page.waitForSelector('#timeline svg g.mark[data-mark="booster"]');
  assert.ok(await waitFor(async () => (await endOf(last)) > lastBefore, 5000), "the booster moves what follows");
  // Hold: while held, what follows slides later.
  await page.click("#b-hold");
  await page.waitForSelector("#status-flags:has-text('HELD')");
  const held = await endOf(last);
  assert.ok(await waitFor(async () => (await endOf(last)) > held + 60, 10000), "hold moves what follows on the tablet");
  await page.screenshot({ path: join(SHOTS, "therapist-timeline.png") });
  await page.click("#b-hold");
  await page.context().close();
});

test("curator: invalid save changes nothing; warnings; numbers; unsaved edits kept; problem rows; export; import", async () => {
  const page = await loggedIn(PIN.curator);
  await page.waitForSelector('#playlists button[data-playlist="onset"]');
  await page.click('#playlists button[data-playlist="onset"]');
  await page.waitForSelector("#ed-tracks tr");
  const file = join(LIBRARY, "playlists", "onset.json");
  const saved = readFileSync(file, "utf8");
  await page.fill("#ed-crossfade", "soon");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems .fault");
  assert.match(await page.textContent("#ed-problems"), /crossfade/);
  assert.equal(readFileSync(file, "utf8"), saved, "an invalid save must leave the file byte-identical");
  await page.screenshot({ path: join(SHOTS, "curator-problem.png") });
  // A number typed in a duration field goes as a number: 20 is 20 seconds.
  await page.fill("#ed-crossfade", "20");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems:has-text('Saved.')");
  assert.equal(JSON.parse(readFileSync(file, "utf8")).crossfade, 20, "typed as a number, saved as a number");
  // A problem naming tracks[1] marks that row.
  await page.fill('#ed-tracks tr[data-index="1"] input[data-key="file"]', "audio/not-there.flac");
  await page.click("#ed-save");
  await page.waitForSelector('#ed-tracks tr[data-index="1"].problem');
  assert.equal(await page.locator("#ed-tracks tr.problem").count(), 1);
  // Unsaved edits survive opening another playlist: keep editing, or discard on purpose.
  await page.click('#playlists button[data-playlist="peak"]');
  await page.waitForSelector("#dirty-ask:not(.hidden)");
  await page.click("#dirty-keep");
  assert.equal(await page.inputValue('#ed-tracks tr[data-index="1"] input[data-key="file"]'), "audio/not-there.flac");
  // Export is the saved playlist, and says the unsaved edits are not in it.
  const download = page.waitForEvent("download");
  await page.click("#ed-export");
  const m3u = readFileSync(await (await download).path(), "utf8");
  assert.ok(!m3u.includes("not-there"), "export must not write unsaved content");
  assert.ok(m3u.includes(JSON.parse(saved).tracks[1].file.split("/").pop()));
  await page.waitForSelector("#ed-problems:has-text('unsaved changes are not in it')");
  await page.click('#playlists button[data-playlist="peak"]');
  await page.click("#dirty-discard");
  await page.waitForSelector("#ed-title:has-text('peak')");
  // M3U import through the room reads paths exactly as the command line does.
  const text = "#EXTM3U\n#EXTINF:150,Demo - Peak one\naudio/peak-1.flac\nhttp://example.com/stream.mp3\n./audio/peak-2.flac\n";
  const rows = await page.locator("#ed-tracks tr").count();
  await page.click("#ed-import");
  await page.fill("#ed-m3u", text);
  await page.click("#ed-m3u-go");
  await page.waitForSelector("#ed-problems:has-text('Added 2 tracks')");
  assert.match(await page.textContent("#ed-problems"), /Left out: .*line 4/);
  assert.equal(await page.locator("#ed-tracks tr").count(), rows + 2);
  const added = [await page.inputValue(`#ed-tracks tr[data-index="${rows}"] input[data-key="file"]`),
                 await page.inputValue(`#ed-tracks tr[data-index="${rows + 1}"] input[data-key="file"]`)];
  writeFileSync(join(LIBRARY, "cli-import.m3u"), text);
  spawnSync(BIN, ["playlist", "import", join(LIBRARY, "cli-import.m3u"), "--library", LIBRARY, "--name", "cli-import"]);
  const cli = JSON.parse(readFileSync(join(LIBRARY, "playlists", "cli-import.json"), "utf8")).tracks.map((x) => x.file);
  assert.deepEqual(added, cli, "the tablet and the command line import the same files");
  await page.screenshot({ path: join(SHOTS, "curator.png") });
  if ((await api("GET", "audio/files", undefined, await apiLogin(PIN.curator))).status === 200) {
    // Pick files from the library instead of typing paths; preview one; upload one.
    assert.ok(await page.locator("#ed-newfile option[value='audio/peak-1.flac']").count() === 1);
    const fetched = [];
    page.on("request", (r) => { if (r.url().includes("/api/v1/audio/files/")) fetched.push({ url: r.url(), range: r.headers()["range"] || "" }); });
    await page.click('#ed-tracks tr[data-index="0"] button[title="Preview"]');
    assert.ok(await waitFor(() => page.evaluate(() => document.getElementById("ed-preview").readyState >= 1), 10000),
              "the preview streams the track");
    // Streamed like a real player: the audio element itself asks with Range, on a ticket URL
    // for this one file (never the login token in a URL, never the whole file first).
    const src = await page.getAttribute("#ed-preview", "src");
    assert.match(src, /^\/api\/v1\/audio\/files\/audio\/[^?]+\?ticket=[0-9a-f]{32}$/);
    const tokenNow = await page.evaluate(() => sessionStorage.getItem("stillroom-token"));
    assert.ok(!src.includes(tokenNow));
    assert.ok(fetched.length >= 1 && fetched.every((f) => f.url.includes("ticket=")), JSON.stringify(fetched));
    assert.ok(fetched.some((f) => /^bytes=\d+-/.test(f.range)), "the player asks for byte ranges: " + JSON.stringify(fetched));
    const wav = join(STATE, "upload-tone.wav");
    writeFileSync(wav, tinyWav());
    await page.setInputFiles("#ed-upload", wav);
    await page.waitForSelector("#ed-problems:has-text('Uploaded audio/upload-tone.wav')");
    assert.equal(await page.locator("#ed-newfile").inputValue(), "audio/upload-tone.wav");
    await page.click("#ed-add");
    assert.equal(await page.inputValue(`#ed-tracks tr:last-child input[data-key="file"]`), "audio/upload-tone.wav");
    // Gain and true peak beside the loudness; a bar per span of phases the playlist serves.
    assert.match(await page.textContent('#ed-tracks tr[data-index="0"]'), /LUFS · gain [+-]?\d+\.\d dB · peak -?\d+\.\d dBTP/);
    assert.ok(await page.locator("#ed-phases .pbar").count() >= 1);
  } else {
    console.log("note: no GET audio/files yet (issue 9 API): the library list, preview and upload are not checked");
  }
  await page.context().close();
});

// One second of quiet 440 Hz, 16-bit mono WAV (the RIFF layout libsndfile reads).
function tinyWav() {
  const rate = 8000, n = rate, data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; ++i) data.writeInt16LE(Math.round(1000 * Math.sin(2 * Math.PI * 440 * i / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + data.length, 4); h.write("WAVE", 8); h.write("fmt ", 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write("data", 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

test("clinic: device tests say why they are refused in session; room settings; users added and removed", async () => {
  await noSession();
  const page = await loggedIn(PIN.clinic);
  await page.click('nav button[data-screen="clinic"]');
  await page.waitForSelector("#devices button[data-light='ceiling']");
  // Out of session a light test is sent.
  await page.click("#devices button[data-light='ceiling']");
  await page.waitForSelector("#devices-note:has-text('Test: sent.')");
  // In session the screen says device tests are off, and a tap is refused with the reason.
  await startSession("im-ketamine");
  await page.waitForSelector("#devices-note:has-text('off while a session runs')");
  await page.click("#devices button[data-light='ceiling']");
  const refused = await waitFor(() => page.evaluate(() => /refused/.test(document.getElementById("devices-note").textContent)), 3000);
  if (refused) assert.equal(await page.getAttribute("#devices-note", "class"), "fault");
  else console.log("note: the room still allows light tests in session (issue 9 API pending)");
  await noSession();
  // Room settings: the name is saved and reaches every screen.
  await page.waitForSelector("#r-name");
  await page.fill("#r-name", "Room Two");
  await page.click("#r-save");
  await page.waitForSelector("#r-note:has-text('Saved.')");
  assert.equal((await api("GET", "room")).data.name, "Room Two");
  await page.waitForSelector("#room-name:has-text('Room Two')");
  // A user added with a PIN can log in; removed, cannot.
  await page.click("#u-add");
  const row = page.locator("#users tr:last-child");
  await row.locator('[data-field="name"]').fill("nurse");
  await row.locator('[data-field="role"]').selectOption("therapist");
  await row.locator('[data-field="pin"]').fill("5790");
  await page.click("#u-save");
  await page.waitForSelector("#u-note:has-text('Saved.')");
  assert.ok(await waitFor(async () => (await api("POST", "login", { pin: "5790" })).status === 200, 5000), "the new user logs in");
  await page.screenshot({ path: join(SHOTS, "clinic.png") });
  await page.locator("#users tr", { hasText: "" }).last().locator("button").click();
  await page.click("#u-save");
  // (The note said "Saved." before this save too: wait for the room, not for the note.)
  assert.ok(await waitFor(async () => !(await api("GET", "room")).data.control.users.some((u) => u.name === "nurse"), 5000),
            "the removed user is gone from room.json");
  await page.waitForSelector("#u-note:has-text('Saved.')");
  await page.context().close();
});

test("clinic: a shared PIN is refused naming both users; an output gain is saved, shown and reaches the room", async () => {
  await noSession();
  const page = await loggedIn(PIN.clinic);
  await page.click('nav button[data-screen="clinic"]');
  await page.waitForSelector("#users tr");
  const roomFile = join(LIBRARY, "room.json");
  const before = readFileSync(roomFile, "utf8");
  // The therapist given the clinic's PIN: refused, both users named, nothing saved.
  const names = await page.locator('#users [data-field="name"]').evaluateAll((xs) => xs.map((x) => x.value));
  const therapistRow = page.locator("#users tr").nth(names.indexOf("therapist"));
  await therapistRow.locator('[data-field="pin"]').fill(PIN.clinic);
  await page.click("#u-save");
  await page.waitForSelector("#u-note.fault");
  const refusal = await page.textContent("#u-note");
  assert.match(refusal, /Not saved/);
  assert.match(refusal, /"therapist"/, refusal);
  assert.match(refusal, /"demo"/, refusal);
  assert.match(refusal, /share a PIN/);
  assert.equal(readFileSync(roomFile, "utf8"), before, "a refused save leaves room.json byte-identical");
  assert.equal((await api("POST", "login", { pin: PIN.therapist })).data.role, "therapist");
  assert.equal((await api("POST", "login", { pin: PIN.clinic })).data.role, "clinic");
  await page.context().close();
  // An output gain: saved, shown after the reload, and the playing room's output follows it.
  // The journeys' room runs at --speed 100, where audio is off; this needs a room in real time
  // (a second demo on the same library, its own state, a silent sink).
  const port2 = await freePort();
  const base2 = `http://127.0.0.1:${port2}`;
  const realtime = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", mkdtempSync(join(tmpdir(), "stillroom-gains-")),
                               "--listen", `127.0.0.1:${port2}`, "--audio", "null", "--no-start"], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    assert.ok(await waitFor(async () => (await fetch(base2 + "/")).ok, 60000), "the real-time demo did not come up");
    const p2 = await newPage();
    await p2.goto(base2 + "/");
    await enterPin(p2, PIN.clinic);
    await p2.waitForSelector("#live.live");
    await p2.click('nav button[data-screen="clinic"]');
    await p2.waitForSelector('#r-outputs td.live:has-text("playing at 0 dB")');
    await p2.fill('#r-outputs input[data-output="0"]', "-4.5");
    await p2.click("#r-save");
    await p2.waitForSelector("#r-note:has-text('Saved.')");
    assert.equal(JSON.parse(readFileSync(roomFile, "utf8")).audio.outputs[0].gain_db, -4.5);
    assert.equal(await p2.inputValue('#r-outputs input[data-output="0"]'), "-4.5", "the saved gain is shown after the reload");
    await p2.waitForSelector('#r-outputs td.live:has-text("playing at -4.5 dB")', { timeout: 10000 });
    const t2 = (await (await fetch(base2 + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                                            body: JSON.stringify({ pin: PIN.clinic }) })).json()).token;
    const st2 = await (await fetch(base2 + "/api/v1/state", { headers: { Authorization: "Bearer " + t2 } })).json();
    assert.equal(st2.devices.find((d) => d.id === "audio").outputs.find((o) => o.id === "room").gain_db, -4.5,
                 "the running output group has the saved gain, without a restart");
    await p2.screenshot({ path: join(SHOTS, "clinic-gains.png") });
    // Back as it was, for the journeys after this one.
    await p2.fill('#r-outputs input[data-output="0"]', "0");
    await p2.click("#r-save");
    await p2.waitForSelector("#r-note:has-text('Saved.')");
    await p2.context().close();
  } finally {
    const exited = new Promise((r) => realtime.once("exit", r));
    realtime.kill("SIGTERM");
    await exited;
  }
});

test("curator: a save with warnings is saved and its warnings stay on the screen", async () => {
  const page = await loggedIn(PIN.curator);
  await page.click('#playlists button[data-playlist="settle"]');
  await page.waitForSelector('#ed-tracks tr[data-index="0"]');
  const file = join(LIBRARY, "playlists", "settle.json");
  // An "out" past the end of the file is allowed (the track plays to its end) but warned about.
  await page.fill('#ed-tracks tr[data-index="0"] input[data-key="out"]', "9h");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems:has-text('Saved.')");
  assert.equal(JSON.parse(readFileSync(file, "utf8")).tracks[0].out, "9h", "a warning does not stop the save");
  const shown = await page.textContent("#ed-problems");
  assert.match(shown, /Warning: .*tracks\[0\]\.out.*past the end of the file/);
  // Still there a moment later (nothing redraws it away).
  await page.waitForTimeout(700); // a settle interval, not a wait for a condition: the warning must survive it
  assert.match(await page.textContent("#ed-problems"), /past the end of the file/);
  await page.locator("#ed-problems").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "curator-warning.png") });
  await page.fill('#ed-tracks tr[data-index="0"] input[data-key="out"]', "");
  await page.click("#ed-save");
  await page.waitForSelector("#ed-problems:has-text('Saved.')");
  await page.context().close();
});

test("a state change reaches an SSE client within 100 ms", async () => {
  const token = await apiLogin(PIN.clinic);
  await startSession("im-ketamine");
  const ctrl = new AbortController();
  const res = await fetch(BASE + "/api/v1/events", { headers: { Authorization: "Bearer " + token }, signal: ctrl.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let first;
  const connected = new Promise((r) => { first = r; });
  const waitForComfort = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buf += decoder.decode(value, { stream: true });
      if (buf.includes("event: state")) first();
      if (buf.includes('"comfort":true')) return performance.now();
    }
  })();
  await connected; // the stream is open and has sent its first state
  const t0 = performance.now();
  await fetch(BASE + "/api/v1/session/comfort", { method: "POST", headers: { Authorization: "Bearer " + token } });
  const t1 = await waitForComfort;
  ctrl.abort();
  assert.ok(t1 !== null);
  const ms = t1 - t0;
  console.log(`SSE: state change seen ${ms.toFixed(1)} ms after the action`);
  assert.ok(ms < 100, `took ${ms} ms`);
});

test("every screen at 1180x820, 820x1180 and 390x844", async () => {
  await startSession("sublingual-ketamine", "K-0412");
  await api("POST", "session/dose", {});
  const sizes = [[1180, 820], [820, 1180], [390, 844]];
  // A reminder is due (dose+12m: 7 s at --speed 100) before the first screenshot.
  assert.ok(await waitFor(async () => ((await session()).reminders || []).length > 0, 30000), "a reminder came due");
  for (const [w, h] of sizes) {
    const page = await loggedIn(PIN.clinic, { width: w, height: h });
    await page.waitForSelector("#session:not(.hidden)");
    await page.waitForSelector("#timeline svg g.phase");
    await page.waitForSelector("#reminders .reminder");
    await page.screenshot({ path: join(SHOTS, `walk-session-${w}x${h}.png`), fullPage: true });
    // Nothing wider than the screen: no sideways scrolling on a tablet or a phone.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `session screen scrolls sideways at ${w}`);
    // The header is one row down to a portrait tablet, its buttons all the same height.
    const heights = await page.locator("header button:visible").evaluateAll((bs) => bs.map((b) => Math.round(b.getBoundingClientRect().height)));
    assert.equal(new Set(heights).size, 1, `header buttons differ in height at ${w}: ${heights}`);
    const tops = await page.locator("header button:visible").evaluateAll((bs) => bs.map((b) => Math.round(b.getBoundingClientRect().top)));
    if (w >= 820) assert.equal(new Set(tops).size, 1, `the header wraps at ${w}: ${tops}`);
    // The timeline's phase names are drawn at a readable size on every screen.
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll("#timeline g.phase text")]
      .map((t) => t.getBoundingClientRect().height)));
    assert.ok(smallest >= 12, `timeline labels are ${smallest.toFixed(1)} px high at ${w}`);
    await page.click('nav button[data-screen="curator"]');
    await page.click('#playlists button[data-playlist="onset"]');
    await page.waitForSelector("#ed-tracks tr");
    await page.screenshot({ path: join(SHOTS, `walk-curator-${w}x${h}.png`), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `curator screen scrolls sideways at ${w}`);
    await page.click('nav button[data-screen="clinic"]');
    await page.waitForSelector("#users tr");
    await page.screenshot({ path: join(SHOTS, `walk-clinic-${w}x${h}.png`), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `clinic screen scrolls sideways at ${w}`);
    await page.click("#b-history");
    await page.waitForSelector("#history-list tr");
    await page.screenshot({ path: join(SHOTS, `walk-history-${w}x${h}.png`), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `history scrolls sideways at ${w}`);
    await page.context().close();
  }
  // The end of the session at each size.
  await noSession();
  for (const [w, h] of sizes) {
    const page = await loggedIn(PIN.therapist, { width: w, height: h });
    await page.waitForSelector("#summary:not(.hidden)");
    await page.screenshot({ path: join(SHOTS, `walk-summary-${w}x${h}.png`), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `summary scrolls sideways at ${w}`);
    await page.context().close();
  }
});

test("a save while another library file is broken says what is in force (issue 10), at every size", async () => {
  await noSession();
  const bad = join(LIBRARY, "playlists", "broken.json");
  writeFileSync(bad, JSON.stringify({ tracks: [], colour: "blue" })); // an unknown key: an error
  try {
    for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
      const page = await loggedIn(PIN.clinic, { width: w, height: h });
      await page.click('nav button[data-screen="clinic"]');
      await page.waitForSelector("#r-name");
      await page.click("#r-save");
      await page.waitForSelector("#r-note:has-text('Users and PINs are in force')");
      const note = await page.textContent("#r-note");
      assert.match(note, /not in force until this is fixed: playlists\/broken\.json: colour/);
      assert.equal(await page.getAttribute("#r-note", "class"), "fault");
      await page.locator("#r-note").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `walk-not-applied-${w}x${h}.png`) });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `scrolls sideways at ${w}`);
      await page.context().close();
    }
  } finally {
    spawnSync("rm", ["-f", bad]);
  }
  // Fixed: a save says plainly "Saved." again.
  const page = await loggedIn(PIN.clinic);
  await page.click('nav button[data-screen="clinic"]');
  await page.waitForSelector("#r-name");
  await page.click("#r-save");
  await page.waitForSelector("#r-note:has-text('Saved.')");
  assert.equal(await page.getAttribute("#r-note", "class"), "muted");
  await page.context().close();
});
