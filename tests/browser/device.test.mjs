// The tablet keeps its device cookie (issue 25 item 3, docs/security.md "PIN guessing"): a
// login stores the `device` the room returns in localStorage and sends it with the next
// login, so when strangers have spent the budget every unknown device shares, this tablet
// still logs in and a tablet without the cookie is refused. A real `stillroom demo` with its
// own state dir; the strangers' wrong PINs come from 127.0.0.2 and up.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
let BASE = "", PORT = 0, server = null, browser = null;

// A wrong PIN from another address (node binds the source address; fetch cannot).
function strangerLogin(from) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ pin: "0000" });
    const req = http.request({ host: "127.0.0.1", port: PORT, path: "/api/v1/login", method: "POST", localAddress: from,
                               headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
                             (res) => { res.resume(); res.on("end", () => resolve(res.statusCode)); });
    req.on("error", () => resolve(0));
    req.setTimeout(10000, () => { req.destroy(); resolve(0); });
    req.end(body);
  });
}

async function enterPin(page, pin) {
  for (const d of pin) await page.click(`#pinpad button[data-key="${d}"]`);
  await page.click('#pinpad button[data-key="OK"]');
}

before(async () => {
  PORT = await freePort();
  BASE = `http://127.0.0.1:${PORT}`;
  const state = mkdtempSync(join(tmpdir(), "stillroom-device-"));
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", state, "--listen", `127.0.0.1:${PORT}`,
                       "--audio", "null"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
});

test("device cookie: the tablet keeps it and logs in through a PIN sweep; a new tablet waits", async () => {
  const tablet = await browser.newContext({ viewport: { width: 1180, height: 820 }, colorScheme: "dark" });
  const page = await tablet.newPage();
  const sent = [];
  page.on("request", (r) => { if (r.url().endsWith("/api/v1/login")) sent.push(JSON.parse(r.postData() || "{}")); });
  await page.goto(BASE + "/");
  await enterPin(page, "1357");
  await page.waitForSelector("#live.live");
  const first = await page.evaluate(() => localStorage.getItem("stillroom-device"));
  assert.match(first || "", /^[0-9a-f]{32}$/);
  assert.equal(sent[0].device, undefined); // nothing to send the first time

  // Strangers spend the budget every unknown device shares.
  const answers = [];
  for (let i = 0; i < 12; i++) answers.push(await strangerLogin(`127.0.0.${2 + i}`));
  assert.deepEqual(answers.slice(0, 10), Array(10).fill(401));
  assert.deepEqual(answers.slice(10), [429, 429]);

  // The tablet logs out and in again: it sends its cookie, is let in, and keeps the new one.
  await page.click("#logout");
  await enterPin(page, "1357");
  const stored = () => page.evaluate(() => localStorage.getItem("stillroom-device"));
  assert.ok(await waitFor(async () => (await stored()) !== first, 10000), "the new device cookie was not kept");
  await page.waitForSelector("#therapist:not(.hidden)");
  assert.equal(sent[1].device, first);
  assert.match((await stored()) || "", /^[0-9a-f]{32}$/);

  // A tablet that never logged in here is refused for now, and says so.
  const fresh = await (await browser.newContext({ viewport: { width: 1180, height: 820 } })).newPage();
  await fresh.goto(BASE + "/");
  await enterPin(fresh, "1357");
  assert.ok(await waitFor(async () => /Too many wrong PINs/.test(await fresh.textContent("#login-error")), 10000));
  await tablet.close();
});
