// The monitor panel in the browser (issue 21, docs/vitals.md): a real `stillroom demo` whose
// room.json has a real mosquitto and two vitals sources, so the demo runs its simulated
// oximeter and cuff (--desaturate). The tablet shows live SpO2 and pulse, the desaturation
// raises a high `spo2_low` alert that the therapist acknowledges on the tablet, and the
// esketamine template's monitoring clock counts down from the dose with its discharge
// checklist; the first minute row draws the SpO2 and pulse trend on the arc. Screenshot:
// monitor.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), "stillroom-monitor-"));
let BASE = "", broker = null, server = null, browser = null;

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

async function call(token, method, path, body) {
  const r = await fetch(BASE + "/api/v1/" + path, {
    method, headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, data: await r.json() };
}

before(async () => {
  // The room's broker: a mosquitto of our own on a free loopback port.
  const mqttPort = await freePort();
  writeFileSync(join(WORK, "mosquitto.conf"),
                `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  broker = spawn("/usr/sbin/mosquitto", ["-c", join(WORK, "mosquitto.conf")], { stdio: "ignore" });
  assert.ok(await waitFor(() => accepts(mqttPort), 10000), "mosquitto did not come up");

  // A copy of the library whose room.json names the broker and the monitors.
  const lib = join(WORK, "library");
  cpSync(LIBRARY, lib, { recursive: true });
  rmSync(join(lib, "state"), { recursive: true, force: true });
  const room = JSON.parse(readFileSync(join(lib, "room.json"), "utf8"));
  room.mqtt = { url: `mqtt://127.0.0.1:${mqttPort}`, base_topic: "stillroom/monitor-test" };
  room.vitals = {
    sources: [
      { id: "oxi", topic: "ward/oxi1", format: "json", fields: { spo2: "SpO2", hr: "pulse.bpm" } },
      { id: "cuff", topic: "ble/bps1", format: "ble-bps" }],
    stale_after: "10s", sustain: "2s" };
  writeFileSync(join(lib, "room.json"), JSON.stringify(room, null, 2));

  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", lib, "--state-dir", join(WORK, "state"), "--listen",
                       `127.0.0.1:${port}`, "--audio", "null", "--desaturate"],
                 { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  await stopProcess(broker);
  rmSync(WORK, { recursive: true, force: true });
});

test("the demo's simulated monitors: live values, a desaturation alert acknowledged, the monitoring clock", async () => {
  const token = (await (await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                                               body: JSON.stringify({ pin: "1357" }) })).json()).token;
  assert.equal((await call(token, "POST", "session/start", { template: "esketamine-nasal", label: "M1-AM" })).status, 200);

  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, colorScheme: "dark" });
  const page = await context.newPage();
  await page.goto(BASE + "/");
  for (const d of "1357") await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#pinpad button[data-key="OK"]');

  // Live SpO2 and pulse from the simulated oximeter, named by its source.
  await page.waitForSelector("#monitor:not(.hidden)", { timeout: 30000 });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector("#mon-spo2").textContent), null, { timeout: 30000 });
  const spo2 = Number(await page.textContent("#mon-spo2"));
  assert.ok(spo2 >= 80 && spo2 <= 100, `SpO2 ${spo2}`);
  assert.match(await page.textContent("#mon-spo2-src"), /oxi/);
  assert.match(await page.textContent("#mon-hr"), /^\d+$/);

  // The monitoring clock: waiting for the dose, then counting down two hours.
  await page.waitForSelector("#monitoring:not(.hidden)");
  assert.equal(await page.textContent("#monitoring-left"), "from the dose");
  const dose = await call(token, "POST", "session/dose", { amount_mg: 56, route: "IN" });
  assert.equal(dose.status, 200, JSON.stringify(dose.data));
  const over = await call(token, "POST", "session/dose", { amount_mg: 250 }); // the template: 28-84 mg
  assert.equal(over.status, 400);
  assert.match(over.data.error, /^amount_mg: expected 28 to 84 mg, got 250$/);
  await page.waitForFunction(() => / left$/.test(document.querySelector("#monitoring-left").textContent));
  assert.match(await page.textContent("#monitoring-left"), /^1:5\d:\d\d left$|^2:00:00 left$/);
  assert.match(await page.textContent("#discharge-list"), /○ Monitoring time reached/);
  assert.ok(await page.locator("#discharge-btn").isDisabled(), "Discharge is offered before the time");
  const early = await call(token, "POST", "session/discharge", { sedation_resolved: true, dissociation_resolved: true });
  assert.equal(early.status, 409);
  assert.match(early.data.error, /^monitoring_time: /);

  // The desaturation (from 20 s of the simulator on, SpO2 sinks to 86): a high alert with its
  // mark and priority in text, acknowledged on the tablet.
  const alert = "#mon-alerts .mon-alert.mon-high";
  await page.waitForSelector(alert, { timeout: 120000 });
  assert.match(await page.textContent(alert), /!!!/);
  assert.match(await page.textContent(alert), /HIGH · SpO₂ low/);
  await page.screenshot({ path: join(SHOTS, "monitor.png") });
  await page.click(`${alert} button:has-text("Acknowledge")`);
  await page.waitForSelector(`${alert}:has-text("acknowledged by therapist")`, { timeout: 10000 });
  const state = (await call(token, "GET", "state")).data.session;
  const acked = state.alerts.find((a) => a.kind === "spo2_low");
  assert.ok(acked, "the spo2_low alert is gone before it was seen acknowledged");
  assert.equal(acked.acked_by, "therapist");
  assert.equal(acked.priority, "high");
  // The trend on the arc: SpO2 and pulse medians once the first minute row is in.
  await page.waitForSelector("#timeline #tl-vitals polyline.vitals-spo2", { state: "attached", timeout: 90000 });
  assert.equal(await page.locator("#timeline #tl-vitals polyline.vitals-hr").count(), 1);
  await context.close();
});
