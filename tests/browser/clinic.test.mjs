// The clinic overview page in Chromium, against real parts: a mosquitto on loopback, three
// `stillroom run` rooms (no audio, simulated lights; one in session with a reminder that
// falls due at once) and `stillroom clinic`. Log in, see every room as a tile, the alert on
// the room in session, a room killed turning offline; screenshots at tablet and phone sizes
// into $SCREENSHOT_DIR (clinic-overview-*.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), "stillroom-clinic-"));
let BASE = "";
let broker = null, overview = null, browser = null;
const rooms = {};

function write(path, text) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

function startRoom(id, name, brokerPort, start) {
  const lib = join(WORK, id);
  write(join(lib, "room.json"), JSON.stringify({ room: id, name, mqtt: { url: `mqtt://127.0.0.1:${brokerPort}` },
    lights: [{ id: "lamp", dialect: "simulated" }] }));
  write(join(lib, "scenes", "calm.json"), JSON.stringify({ lights: { "*": { on: true, brightness: 0.2 } } }));
  write(join(lib, "sessions", "im.json"), JSON.stringify({ name: "IM ketamine", phases: [
    { id: "onset", name: "Onset", until: "therapist", duration: "1h", scene: "calm" }],
    cues: [{ at: "start+1s", remind: "Check blood pressure", vitals: true }] }));
  const args = ["run", "--library", lib, "--state-dir", join(lib, "state"), "--audio", "off", "--listen", "off"];
  if (start) args.push("--start", "im");
  rooms[id] = spawn(BIN, args, { stdio: ["ignore", "ignore", "inherit"] });
}

before(async () => {
  const brokerPort = await freePort();
  write(join(WORK, "mosquitto.conf"), `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  broker = spawn("mosquitto", ["-c", join(WORK, "mosquitto.conf")], { stdio: "ignore" });
  startRoom("room-1", "Willow", brokerPort, true);
  startRoom("room-2", "Cedar", brokerPort, false);
  startRoom("room-3", "Birch", brokerPort, false);
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  const pinHash = execFileSync(BIN, ["hash-pin"], { input: "2468\n" }).toString().trim();
  write(join(WORK, "clinic.json"), JSON.stringify({ clinic: "north", name: "North clinic",
    mqtt: { url: `mqtt://127.0.0.1:${brokerPort}` }, alerts: { reminder_overdue_minutes: 0 },
    control: { listen: `127.0.0.1:${port}`, users: [{ name: "desk", role: "clinic", pin_hash: pinHash }] } }));
  overview = spawn(BIN, ["clinic", "--config", join(WORK, "clinic.json")], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok), "stillroom clinic did not come up");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(overview);
  for (const r of Object.values(rooms)) await stopProcess(r);
  await stopProcess(broker);
});

test("the clinic overview: log in, every room as a tile, an overdue reminder, a room gone offline", async () => {
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, colorScheme: "dark" });
  const page = await context.newPage();
  await page.goto(BASE + "/");
  await page.fill("#pin", "1111");
  await page.click("#login button");
  await page.waitForFunction(() => document.querySelector("#login-error").textContent.length > 0, null, { timeout: 10000 });
  assert.match(await page.textContent("#login-error"), /wrong PIN/);
  await page.fill("#pin", "2468");
  await page.click("#login button");
  await page.waitForFunction(() => document.querySelectorAll("#rooms .tile").length === 3, null, { timeout: 20000 });
  assert.equal(await page.textContent("#clinic-name"), "North clinic");
  // Sorted by room id; the names are the rooms' own.
  const names = await page.$$eval("#rooms .tile h2", (hs) => hs.map((h) => h.firstChild.textContent));
  assert.deepEqual(names, ["Willow", "Cedar", "Birch"]);
  // Willow is in session, in Onset, and its reminder is overdue: the tile is outlined.
  const willow = page.locator('.tile[data-room="room-1"]');
  await willow.locator('.alert[data-kind="reminder_overdue"]').waitFor({ timeout: 20000 });
  assert.match(await willow.locator(".alert").first().textContent(), /Check blood pressure/);
  assert.equal(await willow.locator(".badge").textContent(), "in session");
  assert.equal(await willow.locator(".phase").textContent(), "Onset");
  assert.match(await willow.locator(".times").textContent(), /since dosenot dosed\s*since start\d+ min/);
  assert.ok(await willow.evaluate((e) => e.classList.contains("alerting")));
  const cedar = page.locator('.tile[data-room="room-2"]');
  assert.equal(await cedar.locator(".badge").textContent(), "idle");
  assert.equal(await cedar.locator(".alert").count(), 0);
  assert.match(await page.textContent("#counts"), /3 rooms\s+3 online\s+1 in session\s+1 alert\b/);
  await page.screenshot({ path: join(SHOTS, "clinic-overview-1180x820.png"), fullPage: true });

  // Birch's process dies: its will marks it offline (no session: no alert).
  await stopProcess(rooms["room-3"], "SIGKILL");
  const birch = page.locator('.tile[data-room="room-3"]');
  assert.ok(await waitFor(async () => (await birch.locator(".badge").textContent()) === "offline", 15000));
  assert.ok(await birch.evaluate((e) => e.classList.contains("offline")));
  assert.equal(await birch.locator(".alert").count(), 0);

  for (const [w, h] of [[820, 1180], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300); // layout settles; nothing is asserted on timing
    // Every tile stays within the screen (no sideways scrolling on a phone).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, `the page scrolls sideways at ${w}x${h}`);
    await page.screenshot({ path: join(SHOTS, `clinic-overview-${w}x${h}.png`), fullPage: true });
  }
  await context.close();
});
