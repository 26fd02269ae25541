// A new user's walk through the product, for the docs' screenshots (not a test): a real
// `stillroom demo` at real pace (--speed 1), two therapist tablets (1180x820 and 820x1180),
// a phone (390x844), a curator and the clinic at once, for WALK_MINUTES minutes of a session;
// then a second leg at --speed 20 (SPEED_MINUTES real minutes, default 2: 40 session minutes,
// past the onset into the peak) with the three screens at once.
// With mosquitto installed the room reads a pulse oximeter over MQTT (the monitor panel and
// an SpO2 alert); otherwise that part is skipped.
// usage (from tests/browser, after `npm ci`):
//   STILLROOM_BIN=../../build/app/stillroom WALK_MINUTES=3 node walk.mjs ../../docs/screenshots
// It prints what it measured (clock drift between the tablets and the room) and each step.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const OUT = process.argv[2] || join(tmpdir(), "stillroom-walk");
const MINUTES = Number(process.env.WALK_MINUTES || 3);
mkdirSync(OUT, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "stillroom-walk-"));
const lib = join(work, "library");
spawnSync("cp", ["-a", new URL("../../examples/library", import.meta.url).pathname, lib]);
spawnSync("rm", ["-rf", join(lib, "state")]);
const step = (what) => console.log(new Date().toISOString().slice(11, 19) + " " + what);

// A pulse oximeter on MQTT (docs/vitals.md), when a broker can be started here.
const MOSQUITTO = "/usr/sbin/mosquitto";
let broker = null, mqttPort = 0, oximeter = null, spo2 = 97;
if (existsSync(MOSQUITTO)) {
  mqttPort = await freePort();
  writeFileSync(join(work, "mosquitto.conf"), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  broker = spawn(MOSQUITTO, ["-c", join(work, "mosquitto.conf")], { stdio: "ignore" });
  const room = JSON.parse(readFileSync(join(lib, "room.json"), "utf8"));
  room.mqtt = { url: `mqtt://127.0.0.1:${mqttPort}`, base_topic: "stillroom/walk" };
  room.vitals = { sources: [{ id: "oxi", topic: "ward/oxi1", format: "json", fields: { spo2: "SpO2", hr: "pulse.bpm" } }], sustain: "10s" };
  writeFileSync(join(lib, "room.json"), JSON.stringify(room, null, 2));
  oximeter = setInterval(() => spawn("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(mqttPort), "-t", "ward/oxi1",
    "-m", JSON.stringify({ SpO2: spo2, pulse: { bpm: 72 } })], { stdio: "ignore" }), 1000);
}

let speedServer = null;
// The second leg: --speed 20, three screens at once, the session screen at each size as the
// session moves through its phases (therapist-speed20-WxH.png); the clocks against the room.
async function speedLeg() {
  const port = await freePort(), base = `http://127.0.0.1:${port}`;
  speedServer = spawn(BIN, ["demo", "--library", lib, "--state-dir", join(work, "state20"), "--no-start",
                            "--listen", `127.0.0.1:${port}`, "--audio", "null", "--speed", "20"], { stdio: ["ignore", "ignore", "inherit"] });
  if (!await waitFor(async () => (await fetch(base + "/")).ok, 90000)) throw new Error("the --speed 20 demo did not come up");
  const pages = [];
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, colorScheme: "dark" });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => console.log(`  ! page error at ${w}x${h} (speed 20): ${e.message}`));
    await p.goto(base + "/");
    for (const d of "1357") await p.click(`#pinpad button[data-key="${d}"]`);
    await p.click('#pinpad button[data-key="OK"]');
    await p.waitForSelector("#live.live");
    pages.push([p, `${w}x${h}`]);
  }
  const [a] = pages[0];
  await a.fill("#label", "K-0413");
  await a.click('#templates button[data-template="im-ketamine"]');
  await a.waitForSelector("#tpl-preview:not(.hidden)");
  await a.click("#b-start-confirm");
  for (const [p] of pages) await p.waitForSelector("#session:not(.hidden)");
  await a.fill("#dose-mg", "56");
  await a.click("#b-dose");
  for (const [p] of pages) await p.waitForSelector("#dose-given:not(.hidden)");
  step(`speed 20: session started, dose on the 1180 tablet: "${await a.textContent("#dose-given")}"`);
  const minutes = Number(process.env.SPEED_MINUTES || 2);
  for (let m = 0; m < minutes; ++m) {
    await a.waitForTimeout(60000);
    const token = await a.evaluate(() => token);
    const st = await (await fetch(base + "/api/v1/state", { headers: { Authorization: "Bearer " + token } })).json();
    const drift = [];
    for (const [p] of pages) drift.push(secs(await p.textContent("#since-dose")) - st.session.since_dose);
    step(`speed 20, minute ${m + 1}: phase ${st.session.phase.name}, since dose ${st.session.since_dose.toFixed(0)} s; tablets differ by ${drift.map((d) => d.toFixed(0)).join(", ")} s`);
  }
  for (const [p, where] of pages) {
    await p.evaluate(() => scrollTo(0, 0));
    await shot(p, `therapist-speed20-${where}.png`);
    await noSideways(p, where + " speed 20");
  }
  for (const [p] of pages) await p.context().close();
  await stopProcess(speedServer);
  speedServer = null;
}

const port = await freePort();
const BASE = `http://127.0.0.1:${port}`;
// With our own oximeter the demo's simulated monitors stay off (--no-vitals): two sources on
// one topic would keep a low SpO2 from being sustained.
const server = spawn(BIN, ["demo", "--library", lib, "--state-dir", join(work, "state"), "--no-start", ...(broker ? ["--no-vitals"] : []),
                           "--listen", `127.0.0.1:${port}`, "--audio", "null", "--speed", "1"], { stdio: ["ignore", "ignore", "inherit"] });
const browser = await launchChromium();
const secs = (t) => t.trim().split(":").map(Number).reduce((a, b) => a * 60 + b, 0);
const shot = (p, name, full = false) => p.screenshot({ path: join(OUT, name), fullPage: full });
// Anything wider than the screen (sideways scrolling) is a defect a new user trips over.
async function noSideways(p, where) {
  const wide = await p.evaluate(() => [...document.querySelectorAll("main *, header *")]
    .filter((e) => e.offsetParent && e.getBoundingClientRect().right > innerWidth + 1).map((e) => e.tagName + "#" + e.id).slice(0, 4));
  if (wide.length) console.log(`  ! ${where}: wider than the screen: ${wide.join(", ")}`);
}
try {
  if (!await waitFor(async () => (await fetch(BASE + "/")).ok, 90000)) throw new Error("the demo did not come up");
  const login = async (p, pin) => {
    for (const d of pin) await p.click(`#pinpad button[data-key="${d}"]`);
    await p.click('#pinpad button[data-key="OK"]');
    await p.waitForSelector("#live.live");
  };
  const open = async (pin, w, h) => {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, colorScheme: "dark" });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => console.log(`  ! page error at ${w}x${h}: ${e.message}`));
    await p.goto(BASE + "/");
    await login(p, pin);
    return p;
  };
  // The login, and the device cookie: a tablet keeps its own PIN budget (docs/security.md).
  const first = await (await browser.newContext({ viewport: { width: 820, height: 1180 }, colorScheme: "dark" })).newPage();
  await first.goto(BASE + "/");
  for (const d of "13") await first.click(`#pinpad button[data-key="${d}"]`);
  await shot(first, "login.png");
  await first.click('#pinpad button[data-key="⌫"]'); await first.click('#pinpad button[data-key="⌫"]');
  await login(first, "1357");
  const device = await first.evaluate(() => localStorage.getItem("stillroom-device"));
  await first.click("#logout");
  await login(first, "1357");
  step(`login: the tablet keeps a device cookie (${device ? "yes" : "NO"}) and sends it on the next login (${(await first.evaluate(() => localStorage.getItem("stillroom-device"))) ? "kept" : "lost"})`);
  await first.context().close();

  const tabletA = await open("1357", 1180, 820);
  const tabletB = await open("1357", 820, 1180);
  const phone = await open("1357", 390, 844);
  const curator = await open("8642", 1180, 820);
  const clinic = await open("2468", 1180, 820);
  // Start as a new user would: label, template, the preview, then Start.
  await tabletA.fill("#label", "K-0412");
  await tabletA.click('#templates button[data-template="im-ketamine"]');
  await tabletA.waitForSelector("#tpl-preview:not(.hidden)");
  await shot(tabletA, "therapist-start.png");
  await tabletA.click("#b-start-confirm");
  for (const p of [tabletA, tabletB, phone]) await p.waitForSelector("#session:not(.hidden)");
  await tabletB.click("#b-dose");
  await tabletA.waitForSelector("#since-dose:not(:has-text('not yet'))");
  step("session started on tablet A, dose on tablet B");
  // While the session runs: the curator edits a playlist, the clinic looks at the room.
  await curator.click('#playlists button[data-playlist="peak"]');
  await curator.waitForSelector("#ed-tracks tr");
  await shot(curator, "curator.png");
  await clinic.click('nav button[data-screen="clinic"]');
  await clinic.waitForSelector("#users tr");
  await shot(clinic, "clinic.png", true);
  for (const [p, where] of [[curator, "curator 1180"], [clinic, "clinic 1180"]]) await noSideways(p, where);
  // Real pace: the clocks on every tablet against the room, once a minute.
  for (let m = 0; m < MINUTES; ++m) {
    await tabletA.waitForTimeout(60000); // the walk itself: real minutes pass
    const token = await tabletA.evaluate(() => token);
    const st = await (await fetch(BASE + "/api/v1/state", { headers: { Authorization: "Bearer " + token } })).json();
    const drift = [];
    for (const p of [tabletA, tabletB, phone]) drift.push(secs(await p.textContent("#since-dose")) - st.session.since_dose);
    step(`minute ${m + 1}: since dose ${st.session.since_dose.toFixed(1)} s in the room; tablets differ by ${drift.map((d) => d.toFixed(1)).join(", ")} s`);
    if (m === 0 && broker) spo2 = 89; // the oximeter reads low: an alert after 10 s sustained
  }
  if (broker) {
    const ok = await tabletA.waitForSelector("#mon-alerts .mon-alert", { timeout: 30000 }).then(() => true, () => false);
    step(`monitor: SpO₂ ${await tabletA.textContent("#mon-spo2")}, pulse ${await tabletA.textContent("#mon-hr")}; alert ${ok ? "raised" : "NOT raised"}`);
    await shot(tabletA, "therapist-monitor.png");
    await shot(phone, "therapist-monitor-phone.png");
    spo2 = 97;
  }
  // A flagged reading on tablet A: pinned at the top of every tablet until Seen.
  for (const [k, v] of [["systolic", "172"], ["diastolic", "96"], ["hr", "88"]]) await tabletA.fill(`#vitals input[data-key="${k}"]`, v);
  await tabletA.click("#b-vitals");
  await tabletB.waitForSelector("#pinned .pin-vitals");
  await tabletA.evaluate(() => scrollTo(0, 0));
  await shot(tabletA, "therapist-pinned.png");
  // Seen on tablet B: the room keeps it, so it leaves tablet A too.
  await tabletB.click("#pinned .pin-vitals button");
  const seenEverywhere = await tabletA.waitForSelector("#pinned .pin-vitals", { state: "detached", timeout: 10000 }).then(() => true, () => false);
  step(`flagged reading: Seen on tablet B ${seenEverywhere ? "left tablet A too" : "did NOT leave tablet A"}`);
  // A reading typed wrong on the phone, then marked entered in error (it stays, struck).
  await phone.fill('#vitals input[data-key="hr"]', "17"); // not plausible: refused, the field marked
  await phone.click("#b-vitals");
  await phone.waitForSelector('#vitals input[data-key="hr"].bad');
  await phone.fill('#vitals input[data-key="hr"]', "71");
  await phone.fill('#vitals input[data-key="spo2"]', "89"); // meant 98
  await phone.click("#b-vitals");
  await phone.waitForSelector("#entries-list tr:nth-child(2)");
  await phone.click("#entries-list tr:first-child button[data-undo]");
  await phone.waitForSelector("#entries-list s");
  await phone.waitForSelector("#vitals-list tr.voided");
  await phone.locator("#entries").scrollIntoViewIfNeeded();
  await shot(phone, "therapist-entries.png");
  step("entries: a reading marked entered in error on the phone");
  await tabletA.screenshot({ path: join(OUT, "therapist-reminder.png") });
  await shot(tabletB, "therapist-portrait.png", true);
  await shot(phone, "therapist-phone.png", true);
  for (const [p, where] of [[tabletA, "tablet 1180"], [tabletB, "tablet 820"], [phone, "phone 390"]]) await noSideways(p, where);
  await tabletA.click("#b-comfort");
  await tabletA.waitForSelector("#b-comfort.on");
  await shot(tabletA, "therapist-comfort.png");
  await tabletA.click("#b-comfort");
  // The curator unticks Loop on the peak playlist: the room refuses, naming what it would silence.
  await curator.uncheck("#ed-loop");
  await curator.click("#ed-save");
  await curator.waitForSelector("#ed-problems .fault");
  await curator.locator("#ed-problems").scrollIntoViewIfNeeded();
  await shot(curator, "curator-refused.png");
  step("curator's Loop-off save: " + (await curator.textContent("#ed-problems")).slice(0, 160));
  await curator.click('#playlists button[data-playlist="onset"]');
  await curator.click("#dirty-discard").catch(() => {});
  // A file broken by hand on disk: the room runs its last good library and says so.
  const peak = join(lib, "playlists", "peak.json");
  const original = readFileSync(peak, "utf8");
  writeFileSync(peak, JSON.stringify({ ...JSON.parse(original), loop: false }, null, 2));
  await phone.waitForSelector("#library-line:not(.hidden)", { timeout: 20000 });
  await curator.waitForSelector("#library-problems-curator:not(.hidden)");
  await phone.locator("#library-line").scrollIntoViewIfNeeded();
  await shot(phone, "therapist-library-line.png");
  await curator.locator("#library-problems-curator").scrollIntoViewIfNeeded();
  await shot(curator, "curator-last-good.png");
  step("library: therapist line \"" + await phone.textContent("#library-line") + "\"");
  writeFileSync(peak, original);
  await phone.waitForSelector("#library-line.hidden", { timeout: 20000, state: "attached" });
  // The clinic is told 30 days before the room's HTTPS certificate expires. The demo serves
  // plain HTTP, so the clinic page is shown the state a room with a certificate sends.
  await clinic.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state);
    s.tls = { renew: true, expires: new Date(Date.now() + 21 * 864e5).toISOString(), days_left: 21 }; render(s); show("therapist"); });
  await clinic.waitForSelector("#tls-warning:not(.hidden)");
  await shot(clinic, "clinic-tls.png");
  await clinic.evaluate(() => { listen(); }); // resumes the stream (not awaited: it runs until closed)
  // End; the fade yields to Lights up.
  await tabletA.locator("#b-end").scrollIntoViewIfNeeded();
  const box = await tabletA.locator("#b-end").boundingBox();
  await tabletA.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await tabletA.mouse.down(); await tabletA.waitForTimeout(1800); await tabletA.mouse.up();
  await tabletA.waitForSelector("#status-flags:has-text('ENDING')");
  await tabletB.click("#b-lights");
  await tabletA.waitForSelector("#b-lights.on");
  await shot(tabletA, "therapist-end-fade.png");
  step("end fade, Lights up from tablet B");
  await tabletA.waitForSelector("#summary:not(.hidden)", { timeout: 200000 });
  await shot(tabletA, "therapist-summary.png");
  await tabletA.click("#summary-report");
  await tabletA.waitForSelector("#report-panel:not(.hidden)");
  await tabletA.waitForTimeout(1000); // the report renders in its frame
  await shot(tabletA, "report-tablet.png");
  await phone.click("#b-history");
  await phone.waitForSelector("#history-list tr");
  await shot(phone, "history.png");
  step("summary, report and history");
  await stopProcess(server);
  await speedLeg();
} finally {
  if (speedServer) await stopProcess(speedServer);
  if (oximeter) clearInterval(oximeter);
  await browser.close();
  await stopProcess(server);
  await stopProcess(broker);
  spawnSync("rm", ["-rf", work]);
}
