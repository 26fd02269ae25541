// A new user's walk through the product, for the docs' screenshots (not a test): a real
// `stillroom demo` at real pace (--speed 1), two therapist tablets (1180x820 and 820x1180),
// a phone (390x844) and a curator at once, for WALK_MINUTES minutes of a session.
// usage (from tests/browser, after `npm ci`):
//   STILLROOM_BIN=../../build/app/stillroom WALK_MINUTES=3 node walk.mjs ../../docs/screenshots
// It prints what it measured (clock drift between the tablets and the room).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const OUT = process.argv[2] || join(tmpdir(), "stillroom-walk");
const MINUTES = Number(process.env.WALK_MINUTES || 3);
mkdirSync(OUT, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "stillroom-walk-"));
spawnSync("cp", ["-a", new URL("../../examples/library", import.meta.url).pathname, join(work, "library")]);
spawnSync("rm", ["-rf", join(work, "library", "state")]);
const port = await freePort();
const BASE = `http://127.0.0.1:${port}`;
const server = spawn(BIN, ["demo", "--library", join(work, "library"), "--state-dir", join(work, "state"),
                           "--listen", `127.0.0.1:${port}`, "--audio", "null", "--speed", "1"], { stdio: ["ignore", "ignore", "inherit"] });
const browser = await launchChromium();
const secs = (t) => t.trim().split(":").map(Number).reduce((a, b) => a * 60 + b, 0);
try {
  if (!await waitFor(async () => (await fetch(BASE + "/")).ok, 90000)) throw new Error("the demo did not come up");
  const open = async (pin, w, h) => {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, colorScheme: "dark" });
    const p = await ctx.newPage();
    await p.goto(BASE + "/");
    for (const d of pin) await p.click(`#pinpad button[data-key="${d}"]`);
    await p.click('#pinpad button[data-key="OK"]');
    await p.waitForSelector("#live.live");
    return p;
  };
  const tabletA = await open("1357", 1180, 820);
  const tabletB = await open("1357", 820, 1180);
  const phone = await open("1357", 390, 844);
  const curator = await open("8642", 1180, 820);
  // Start as a new user would: label, template, the preview, then Start.
  await tabletA.fill("#label", "K-0412");
  await tabletA.click('#templates button[data-template="im-ketamine"]');
  await tabletA.waitForSelector("#tpl-preview:not(.hidden)");
  await tabletA.screenshot({ path: join(OUT, "therapist-start.png") });
  await tabletA.click("#b-start-confirm");
  for (const p of [tabletA, tabletB, phone]) await p.waitForSelector("#session:not(.hidden)");
  await tabletB.click("#b-dose");
  await tabletA.waitForSelector("#since-dose:not(:has-text('not yet'))");
  // Real pace: the clocks on every tablet against the room, once a minute.
  for (let m = 0; m < MINUTES; ++m) {
    await tabletA.waitForTimeout(60000); // the walk itself: real minutes pass
    const token = await tabletA.evaluate(() => token);
    const st = await (await fetch(BASE + "/api/v1/state", { headers: { Authorization: "Bearer " + token } })).json();
    const drift = [];
    for (const p of [tabletA, tabletB, phone]) drift.push(secs(await p.textContent("#since-dose")) - st.session.since_dose);
    console.log(`minute ${m + 1}: since dose ${st.session.since_dose.toFixed(1)} s in the room; tablets differ by ${drift.map((d) => d.toFixed(1)).join(", ")} s`);
  }
  await tabletA.screenshot({ path: join(OUT, "therapist-reminder.png") });
  await tabletB.screenshot({ path: join(OUT, "therapist-portrait.png"), fullPage: true });
  await phone.screenshot({ path: join(OUT, "therapist-phone.png"), fullPage: true });
  await tabletA.click("#b-comfort");
  await tabletA.waitForSelector("#b-comfort.on");
  await tabletA.screenshot({ path: join(OUT, "therapist-comfort.png") });
  await tabletA.click("#b-comfort");
  await curator.click('#playlists button[data-playlist="peak"]');
  await curator.waitForSelector("#ed-tracks tr");
  await curator.screenshot({ path: join(OUT, "curator.png") });
  // The curator unticks Loop on the peak playlist: the room refuses, naming what it would silence.
  await curator.uncheck("#ed-loop");
  await curator.click("#ed-save");
  await curator.waitForSelector("#ed-problems .fault");
  await curator.locator("#ed-problems").scrollIntoViewIfNeeded();
  await curator.screenshot({ path: join(OUT, "curator-refused.png") });
  console.log("curator's Loop-off save: " + (await curator.textContent("#ed-problems")).slice(0, 300));
  // End; the fade yields to Lights up.
  const box = await tabletA.locator("#b-end").boundingBox();
  await tabletA.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await tabletA.mouse.down(); await tabletA.waitForTimeout(1800); await tabletA.mouse.up();
  await tabletA.waitForSelector("#status-flags:has-text('ENDING')");
  await tabletB.click("#b-lights");
  await tabletA.waitForSelector("#b-lights.on");
  await tabletA.screenshot({ path: join(OUT, "therapist-end-fade.png") });
  await tabletA.waitForSelector("#summary:not(.hidden)", { timeout: 200000 });
  await tabletA.screenshot({ path: join(OUT, "therapist-summary.png") });
  await tabletA.click("#summary-report");
  await tabletA.waitForSelector("#report-panel:not(.hidden)");
  await tabletA.waitForTimeout(1000); // the report renders in its frame
  await tabletA.screenshot({ path: join(OUT, "report-tablet.png") });
} finally {
  await browser.close();
  await stopProcess(server);
  spawnSync("rm", ["-rf", work]);
}
