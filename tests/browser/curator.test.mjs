// Issue 19 item 12 on the curator's screen: New, Rename and Delete playlist (refused while a
// template uses it); a number field that holds text is an error at the field, never dropped;
// "1:30" is a duration; Replace for an audio file already in the library; whole file names;
// logging out with unsaved edits asks; a looping playlist shorter than its phase "repeats".
// A real `stillroom demo` on its own copy of the example library, in headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor, launchChromium, stopProcess } from "./helpers.mjs";

const BIN = process.env.STILLROOM_BIN;
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), "stillroom-screenshots");
mkdirSync(SHOTS, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), "stillroom-curator-"));
const LIBRARY = join(WORK, "library");
let BASE = "";
let server = null;
let browser = null;

async function curator(viewport = { width: 1180, height: 820 }) {
  const context = await browser.newContext({ viewport, colorScheme: "dark" });
  const p = await context.newPage();
  await p.goto(BASE + "/");
  for (const d of "8642") await p.click(`#pinpad button[data-key="${d}"]`);
  await p.click('#pinpad button[data-key="OK"]');
  await p.waitForSelector("#live.live");
  await p.waitForSelector('#playlists button[data-playlist="peak"]');
  return p;
}
const playlistFile = (id) => join(LIBRARY, "playlists", id + ".json");
// Quiet 440 Hz, 16-bit mono WAV of `seconds` (the RIFF layout libsndfile reads).
function wav(seconds) {
  const rate = 8000, n = rate * seconds, data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; ++i) data.writeInt16LE(Math.round(1000 * Math.sin(2 * Math.PI * 440 * i / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + data.length, 4); h.write("WAVE", 8); h.write("fmt ", 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write("data", 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

before(async () => {
  spawnSync("cp", ["-a", new URL("../../examples/library", import.meta.url).pathname, LIBRARY]);
  spawnSync("rm", ["-rf", join(LIBRARY, "state")]);
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", join(WORK, "state"), "--listen", `127.0.0.1:${port}`,
                       "--audio", "null", "--speed", "100", "--no-start"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  spawnSync("rm", ["-rf", WORK]);
});

test("New, Rename and Delete playlist; a playlist a template uses is neither renamed nor deleted", async () => {
  const p = await curator();
  const peakBefore = readFileSync(playlistFile("peak"), "utf8");
  // New: a name that is not a file name is refused at the field; an existing one is never overwritten.
  await p.click("#b-pl-new");
  await p.fill("#pl-id", "evening calm");
  await p.click("#pl-go");
  await p.waitForSelector("#pl-id.bad");
  await p.fill("#pl-id", "peak");
  await p.click("#pl-go");
  await p.waitForSelector("#pl-note:has-text('already exists')");
  assert.equal(readFileSync(playlistFile("peak"), "utf8"), peakBefore, "New overwrote peak");
  await p.fill("#pl-id", "evening-2");
  await p.click("#pl-go");
  await p.waitForSelector("#ed-title:has-text('evening-2')");
  await p.waitForSelector('#playlists button[data-playlist="evening-2"]');
  assert.deepEqual(JSON.parse(readFileSync(playlistFile("evening-2"), "utf8")).tracks, []);
  await p.screenshot({ path: join(SHOTS, "curator-new-1180x820.png") });
  // Rename: the file moves; the old name is gone from the list.
  await p.click("#ed-rename");
  await p.fill("#pl-id", "evening-3");
  await p.click("#pl-go");
  await p.waitForSelector("#ed-title:has-text('evening-3')");
  assert.ok(existsSync(playlistFile("evening-3")) && !existsSync(playlistFile("evening-2")));
  assert.equal(await p.locator('#playlists button[data-playlist="evening-2"]').count(), 0);
  // Delete asks once, then removes the file.
  await p.click("#ed-delete");
  await p.waitForSelector("#pl-delete-row:not(.hidden)");
  assert.ok(existsSync(playlistFile("evening-3")), "deleted before the question was answered");
  await p.click("#pl-delete-go");
  await p.waitForSelector("#pl-note:has-text('Deleted playlists/evening-3.json')");
  assert.ok(!existsSync(playlistFile("evening-3")));
  assert.equal(await p.locator('#playlists button[data-playlist="evening-3"]').count(), 0);
  // peak is played by templates: Delete and Rename are refused, naming them; nothing changes.
  await p.click('#playlists button[data-playlist="peak"]');
  await p.waitForSelector("#ed-title:has-text('peak')");
  await p.click("#ed-delete");
  await p.click("#pl-delete-go");
  await p.waitForSelector("#pl-note.fault");
  assert.match(await p.textContent("#pl-note"), /Not deleted: playlists\/peak\.json cannot be deleted: .*sessions\/im-ketamine\.json \(phase peak\)/);
  await p.screenshot({ path: join(SHOTS, "curator-delete-refused-1180x820.png") });
  await p.click("#ed-rename");
  await p.fill("#pl-id", "peak-new");
  await p.click("#pl-go");
  await p.waitForSelector("#pl-note:has-text('Not renamed')");
  assert.ok(existsSync(playlistFile("peak")) && !existsSync(playlistFile("peak-new")), "a refused rename left files behind");
  await p.context().close();
});

test("text in a number field is an error at the field, never dropped; \"1:30\" is a duration", async () => {
  const before = readFileSync(playlistFile("onset"), "utf8");
  const p = await curator();
  await p.click('#playlists button[data-playlist="onset"]');
  await p.waitForSelector("#ed-tracks tr");
  const gain = '#ed-tracks tr[data-index="0"] input[data-key="gain_db"]';
  await p.fill(gain, "loud");
  await p.waitForSelector(gain + ".bad");
  // The reason is said at the field itself (in its cell, right under it).
  const err = p.locator('#ed-tracks tr[data-index="0"] input[data-key="gain_db"] + .field-error');
  assert.match(await err.textContent(), /“loud” is not a number of dB/);
  const fb = await p.locator(gain).boundingBox(), eb = await err.boundingBox();
  assert.ok(eb.y >= fb.y + fb.height - 1 && eb.y - (fb.y + fb.height) < 24 && Math.abs(eb.x - fb.x) < 8, "the error is not at the field");
  await p.fill('#ed-tracks tr[data-index="1"] input[data-key="out"]', "later");
  await p.click("#ed-save");
  await p.waitForSelector("#ed-problems .fault");
  const problems = await p.textContent("#ed-problems");
  assert.match(problems, /Not saved: 2 fields/);
  assert.match(problems, /tracks\[0\]\.gain_db: “loud”/);
  assert.match(problems, /tracks\[1\]\.out: “later” is not a time/);
  assert.equal(readFileSync(playlistFile("onset"), "utf8"), before, "a refused save wrote the file");
  await p.screenshot({ path: join(SHOTS, "curator-field-error-1180x820.png") });
  // Clock-style durations are seconds; a number of dB saves as a number.
  await p.fill(gain, "-2.5");
  await p.fill('#ed-tracks tr[data-index="1"] input[data-key="out"]', "");
  await p.fill('#ed-tracks tr[data-index="0"] input[data-key="in"]', "1:30");
  await p.fill("#ed-crossfade", "0:15");
  assert.equal(await p.locator("#editor input.bad").count(), 0);
  await p.click("#ed-save");
  await p.waitForSelector("#ed-problems:has-text('Saved.')");
  const saved = JSON.parse(readFileSync(playlistFile("onset"), "utf8"));
  assert.equal(saved.tracks[0].in, 90);
  assert.equal(saved.tracks[0].gain_db, -2.5);
  assert.equal(saved.crossfade, 15);
  assert.equal(saved.tracks[1].out, undefined);
  await p.context().close();
});

test("Replace an audio file already in the library; whole file names; a looping playlist repeats", async () => {
  const name = "a-long-upload-name-from-the-field-recorder-2026-12.wav";
  const file = join(WORK, name);
  writeFileSync(file, wav(1));
  const p = await curator();
  await p.click('#playlists button[data-playlist="peak"]');
  await p.waitForSelector("#ed-phases .pbar");
  // peak loops: shorter than its phases it repeats, not a red "too short".
  assert.equal(await p.locator("#ed-phases .pbar .short").count(), 0, "a looping playlist is drawn as too short");
  assert.doesNotMatch(await p.textContent("#ed-phases"), /too short/);
  assert.match(await p.textContent("#ed-phases"), /\(repeats\)/);
  await p.setInputFiles("#ed-upload", file);
  await p.waitForSelector(`#ed-problems:has-text('Uploaded audio/${name}')`);
  await p.click("#ed-add");
  // The same name again: asked, and replaced only on Replace.
  writeFileSync(file, wav(2));
  await p.setInputFiles("#ed-upload", file);
  await p.waitForSelector("#ed-replace");
  assert.equal(statSync(join(LIBRARY, "audio", name)).size, wav(1).length, "replaced before asking");
  await p.click("#ed-replace");
  await p.waitForSelector(`#ed-problems:has-text('Replaced audio/${name}')`);
  assert.equal(statSync(join(LIBRARY, "audio", name)).size, wav(2).length);
  // The whole file name is visible in its field, at every size, without sideways scrolling.
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    await p.setViewportSize({ width: w, height: h });
    // In its field, or (a phone, where no field is wide enough) written out in full under it.
    const cut = await p.locator('#ed-tracks input[data-key="file"]').evaluateAll((list) =>
      list.filter((i) => {
        if (i.scrollWidth <= i.clientWidth + 1) return false;
        const full = i.parentElement.querySelector(".file-full");
        return !(full && full.offsetParent && full.textContent === i.value && full.scrollWidth <= full.clientWidth + 1 &&
                 full.getBoundingClientRect().right <= innerWidth);
      }).map((i) => i.value));
    assert.deepEqual(cut, [], `file names cut short at ${w}x${h}`);
    const wide = await p.evaluate(() => [...document.querySelectorAll("#curator *")].filter((e) => e.offsetParent && e.getBoundingClientRect().right > innerWidth + 1)
      .map((e) => e.tagName + "#" + e.id + "." + e.className).slice(0, 5));
    assert.deepEqual(wide, [], `the curator screen scrolls sideways at ${w}`);
    await p.locator("#ed-tracks tr:last-child").scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(SHOTS, `curator-files-${w}x${h}.png`) });
  }
  await p.context().close();
});

test("logging out with unsaved edits asks first", async () => {
  const p = await curator();
  await p.click('#playlists button[data-playlist="return"]');
  await p.waitForSelector("#ed-tracks tr");
  await p.fill("#ed-name", "Return, edited");
  await p.click("#logout");
  await p.waitForSelector("#dirty-ask:not(.hidden)");
  assert.equal(await p.isVisible("#login"), false, "logged out without asking");
  await p.click("#dirty-keep");
  assert.equal(await p.inputValue("#ed-name"), "Return, edited");
  await p.click("#logout");
  await p.click("#dirty-discard");
  await p.waitForSelector("#login:not(.hidden)");
  assert.equal(JSON.parse(readFileSync(playlistFile("return"), "utf8")).name, "Return");
  await p.context().close();
});
