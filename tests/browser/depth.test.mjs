// Issue 22 on the tablet: the therapist's depth control (docs/depth.md "The therapist's
// controls"). Deeper and Lighter change session.depth as GET /api/v1/state reads it, the
// control shows the depth in force, Comfort grounds it to 0 and gives it back after; at the
// tablet's, the upright tablet's and a phone's size the control is on the screen and does
// not overlap the volume control. A real `stillroom demo` at --speed 100 on its own copy of
// the example library (the session stays in Settle: no dose, so no phase moves the arc),
// in headless Chromium. Screenshots: $SCREENSHOT_DIR.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), "stillroom-depth-"));
const PIN = { clinic: "2468", therapist: "1357" };
let BASE = "";
let server = null;
let browser = null;
let token = "";

async function api(method, path, body) {
  const r = await fetch(BASE + "/api/v1/" + path, { method, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
                                                   body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, data: await r.json().catch(() => ({})) };
}
const depth = async () => (await api("GET", "state")).data.session.depth;
const near = (a, b) => Math.abs(a - b) < 1e-6;
async function page(viewport) {
  const context = await browser.newContext({ viewport, colorScheme: "dark" });
  const p = await context.newPage();
  await p.goto(BASE + "/");
  for (const d of PIN.therapist) await p.click(`#pinpad button[data-key="${d}"]`);
  await p.click('#pinpad button[data-key="OK"]');
  await p.waitForSelector("#live.live");
  await p.waitForSelector("#session:not(.hidden)");
  return p;
}

before(async () => {
  spawnSync("cp", ["-a", new URL("../../examples/library", import.meta.url).pathname, join(WORK, "library")]);
  spawnSync("rm", ["-rf", join(WORK, "library", "state")]);
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", join(WORK, "library"), "--state-dir", join(WORK, "state"), "--listen", `127.0.0.1:${port}`,
                       "--audio", "null", "--speed", "100"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  const r = await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: PIN.clinic }) });
  token = (await r.json()).token;
  browser = await launchChromium();
  const s = await api("POST", "session/start", { template: "im-ketamine", label: "D22" });
  assert.equal(s.status, 200, JSON.stringify(s.data));
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  spawnSync("rm", ["-rf", WORK]);
});

test("Deeper and Lighter move session.depth; the control shows the depth; Comfort grounds it and gives it back", async () => {
  const p = await page({ width: 1180, height: 820 });
  const start = await depth();
  assert.ok(start && near(start.trim, 0) && near(start.arc, 0), "a fresh session in Settle: " + JSON.stringify(start));
  // The number shown is the depth in force, in tenths, once the 3 s ramp (30 ms here) is over.
  const shows = async (tenths) => waitFor(async () => (await p.textContent("#depth")).trim() === `depth ${tenths}`, 5000);
  const settles = async (want) => waitFor(async () => { const d = await depth(); return near(d.target, want) && near(d.effective, want); }, 5000);
  assert.ok(await shows(0), "the control shows depth 0 at the start, not " + await p.textContent("#depth"));

  for (let i = 1; i <= 3; i++) {
    await p.click("#b-depth-up");
    // Each step is taken from the depth heard now: let the ramp end before the next tap.
    assert.ok(await settles(i / 10), `Deeper ${i}: ` + JSON.stringify(await depth()));
    assert.ok(near((await depth()).trim, i / 10), `Deeper ${i} is the therapist's trim: ` + JSON.stringify(await depth()));
  }
  assert.ok(await shows(3), "the control shows depth 3, not " + await p.textContent("#depth"));
  assert.match(await p.textContent("#depth-trim"), /\+3/);

  await p.click("#b-depth-down");
  assert.ok(await settles(0.2), "Lighter: " + JSON.stringify(await depth()));
  assert.ok(await shows(2), "the control shows depth 2, not " + await p.textContent("#depth"));
  await p.screenshot({ path: join(SHOTS, "depth-control-1180x820.png") });

  // Comfort: the depth goes to 0 (grounding) and the therapist's trim is kept for after.
  await p.click("#b-comfort");
  await p.waitForSelector("#status-flags:has-text('COMFORT')");
  assert.ok(await settles(0), "under Comfort: " + JSON.stringify(await depth()));
  assert.ok(near((await depth()).trim, 0.2), "Comfort keeps the trim: " + JSON.stringify(await depth()));
  assert.ok(await shows(0), "under Comfort the control shows depth 0, not " + await p.textContent("#depth"));
  await p.click("#b-comfort");
  await p.waitForFunction(() => !document.querySelector("#status-flags").textContent.includes("COMFORT"));
  assert.ok(await settles(0.2), "after Comfort: " + JSON.stringify(await depth()));
  assert.ok(await shows(2), "after Comfort the control shows depth 2 again, not " + await p.textContent("#depth"));
  await p.context().close();
});

test("the depth control is on the screen and clear of the volume control at 1180x820, 820x1180 and 390x844", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.locator("#b-depth-up").scrollIntoViewIfNeeded();
    const boxes = await p.evaluate(() => {
      const box = (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
      const vol = document.getElementById("volume").closest(".volbox");
      return {
        depth: ["b-depth-down", "depthbox", "b-depth-up"].map((id) => ({ id, ...box(document.getElementById(id)) })),
        volume: [["b-vol-down", document.getElementById("b-vol-down")], ["volume", vol], ["b-vol-up", document.getElementById("b-vol-up")]]
          .map(([id, e]) => ({ id, ...box(e) })),
        view: { w: innerWidth, h: innerHeight },
      };
    });
    for (const d of boxes.depth) {
      assert.ok(d.w > 0 && d.h > 0, `#${d.id} has no size at ${w}x${h}`);
      assert.ok(d.x >= -0.5 && d.x + d.w <= boxes.view.w + 0.5, `#${d.id} is off the screen sideways at ${w}x${h}: ${JSON.stringify(d)}`);
      assert.ok(d.y >= -0.5 && d.y + d.h <= boxes.view.h + 0.5, `#${d.id} is off the screen at ${w}x${h}: ${JSON.stringify(d)}`);
      // Nothing covers it: the element at its centre is itself.
      const mine = await p.evaluate(({ id, x, y }) => { const at = document.elementFromPoint(x, y); return !!(at && at.closest("#" + id)); },
                                    { id: d.id, x: d.x + d.w / 2, y: d.y + d.h / 2 });
      assert.ok(mine, `#${d.id} is covered at ${w}x${h}`);
      for (const v of boxes.volume) {
        const apart = d.x + d.w <= v.x + 0.5 || v.x + v.w <= d.x + 0.5 || d.y + d.h <= v.y + 0.5 || v.y + v.h <= d.y + 0.5;
        assert.ok(apart, `#${d.id} overlaps #${v.id} at ${w}x${h}: ${JSON.stringify(d)} ${JSON.stringify(v)}`);
      }
    }
    await p.screenshot({ path: join(SHOTS, `depth-control-${w}x${h}.png`) });
    await p.context().close();
  }
});
