// Issue 19 on the tablet, items 7, 9, 11 and 14: what is pinned at the top of the session
// until acknowledged, reminders that stay fully visible with Done reachable on a phone, the
// dark report, the phone's lanes and wrapping buttons. A real `stillroom demo` at --speed 100
// on its own copy of the example library, in headless Chromium. Screenshots: $SCREENSHOT_DIR.
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
const WORK = mkdtempSync(join(tmpdir(), "stillroom-screens-"));
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
async function page(viewport, pin = PIN.therapist) {
  const context = await browser.newContext({ viewport, colorScheme: "dark" });
  const p = await context.newPage();
  await p.goto(BASE + "/");
  for (const d of pin) await p.click(`#pinpad button[data-key="${d}"]`);
  await p.click('#pinpad button[data-key="OK"]');
  await p.waitForSelector("#live.live");
  return p;
}
// true when the element's box lies wholly inside the viewport and inside every scrolling
// ancestor (a button cut off by its box, or off the screen, is not reachable).
async function fullyVisible(p, selector) {
  return p.locator(selector).first().evaluate((e) => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.left < -0.5) return false;
    for (let a = e.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (!/(auto|scroll|hidden)/.test(s.overflowY + s.overflowX)) continue;
      const b = a.getBoundingClientRect();
      if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5 || r.left < b.left - 0.5 || r.right > b.right + 0.5) return false;
    }
    return true;
  });
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
  // One session for every test: the dose, then two reminders (dose+15m and dose+30m: 9 s and
  // 18 s at this speed) left unanswered.
  const s = await api("POST", "session/start", { template: "im-ketamine", label: "S19" });
  assert.equal(s.status, 200, JSON.stringify(s.data));
  assert.equal((await api("POST", "session/dose", { amount_mg: 56, route: "IM" })).status, 200);
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  spawnSync("rm", ["-rf", WORK]);
});

test("an overdue reminder and a flagged reading stay pinned at the top until acknowledged", async () => {
  const p = await page({ width: 1180, height: 820 });
  await p.waitForSelector("#session:not(.hidden)");
  // A reading outside the template's limits (systolic 175 > 160): pinned, above the timeline.
  const v = await api("POST", "session/vitals", { systolic: 175, diastolic: 90, hr: 80 });
  assert.equal(v.status, 200, JSON.stringify(v.data));
  await p.waitForSelector("#pinned .pin-vitals");
  assert.match(await p.textContent("#pinned .pin-vitals"), /systolic high.*BP 175\/90/);
  // The first reminder, a minute overdue, is pinned too (and stays in the reminder box).
  await p.waitForSelector("#pinned .pin-reminder", { timeout: 30000 });
  assert.match(await p.textContent("#pinned .pin-reminder"), /Reminder overdue \d+:\d\d Check blood pressure/);
  const pinned = await p.locator("#pinned").boundingBox();
  const head = await p.locator("#phase-name").boundingBox();
  assert.ok(pinned.y < head.y, "the pinned box is not at the top of the session");
  assert.ok(await fullyVisible(p, "#pinned button"), "its button is out of reach");
  await p.screenshot({ path: join(SHOTS, "pinned-1180x820.png") });
  // A second tablet (and a reload) shows both at once.
  const p2 = await page({ width: 390, height: 844 });
  await p2.waitForSelector("#pinned .pin-vitals");
  await p2.waitForSelector("#pinned .pin-reminder");
  for (const b of await p2.locator("#pinned button").all()) assert.ok(await b.evaluate((e) => e.getBoundingClientRect().right <= innerWidth), "a button is cut off on the phone");
  await p2.screenshot({ path: join(SHOTS, "pinned-390x844.png") });
  // Seen on one tablet: the room keeps it (who and when), so the reading leaves every
  // tablet's pinned box, the other browser's too, also after a reload.
  await p.click("#pinned .pin-vitals button");
  await p.waitForSelector("#pinned .pin-vitals", { state: "detached" });
  const seen = (await state()).session.entries.filter((e) => e.kind === "vitals").pop();
  assert.equal(seen.acked_by, "therapist", JSON.stringify(seen));
  assert.ok(await waitFor(async () => (await p2.locator("#pinned .pin-vitals").count()) === 0, 8000), "the other tablet still shows the seen reading");
  for (const t of [p, p2]) {
    await t.reload();
    await t.waitForSelector("#session:not(.hidden)");
    await t.waitForSelector("#pinned .pin-reminder");
    assert.equal(await t.locator("#pinned .pin-vitals").count(), 0, "a seen reading came back after a reload");
  }
  // Done on a pinned reminder acknowledges it in the room: gone from every tablet.
  const cue = await p.getAttribute("#pinned .pin-reminder", "data-key");
  await p.click("#pinned .pin-reminder button");
  assert.ok(await waitFor(async () => !(await state()).session.reminders.some((r) => "r:" + r.cue === cue), 5000), "Done did not acknowledge the reminder");
  assert.ok(await waitFor(async () => (await p2.locator(`#pinned [data-key="${cue}"]`).count()) === 0, 8000), "the other tablet still shows it");
  // A new flagged reading is pinned again.
  assert.equal((await api("POST", "session/vitals", { spo2: 88 })).status, 200);
  await p.waitForSelector("#pinned .pin-vitals:has-text('SpO₂ low')");
  // Marked entered in error: no longer pinned, and struck (not flagged) in the vitals list.
  const entry = (await state()).session.entries.filter((e) => e.kind === "vitals").pop();
  assert.equal((await api("POST", "session/correct", { seq: entry.seq, reason: "entered-in-error" })).status, 200);
  await p.waitForSelector("#vitals-list tr.voided");
  assert.equal(await p.locator("#pinned .pin-vitals").count(), 0, "a reading entered in error is still pinned");
  assert.match(await p.textContent("#vitals-list tr.voided"), /entered in error/);
  assert.doesNotMatch(await p.textContent("#vitals-list tr.voided"), /⚑/);
  // Two readings moments apart: marking the second strikes only the second.
  assert.equal((await api("POST", "session/vitals", { hr: 70 })).status, 200);
  assert.equal((await api("POST", "session/vitals", { hr: 71 })).status, 200);
  const second = (await state()).session.entries.filter((e) => e.kind === "vitals").pop();
  assert.equal(second.value.hr, 71);
  assert.equal((await api("POST", "session/correct", { seq: second.seq, reason: "entered-in-error" })).status, 200);
  await p.waitForFunction(() => document.querySelectorAll("#vitals-list tr.voided").length === 2);
  const struck = await p.locator("#vitals-list tr.voided td:nth-child(3)").allTextContents();
  assert.deepEqual(struck.sort(), ["-", "71"], "the wrong reading was struck");
  // At real pace two readings can be under a second apart (the walk found both struck): the
  // page is shown that state, with the room's stream paused meanwhile.
  await p.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state);
    s.session.vitals = [{ at: 100.2, since_dose: 50.2, hr: 70, flags: [] }, { at: 100.9, since_dose: 50.9, hr: 71, flags: [] }];
    s.session.entries = [{ seq: 1, kind: "vitals", t_s: 100.2, value: { hr: 70 }, status: "final", by: "x" },
                         { seq: 2, kind: "vitals", t_s: 100.9, value: { hr: 71 }, status: "entered-in-error", by: "x" }];
    render(s); });
  assert.deepEqual(await p.locator("#vitals-list tr.voided td:nth-child(3)").allTextContents(), ["71"]);
  await p.evaluate(() => { listen(); });
  await p.context().close(); await p2.context().close();
});

test("two reminders at once: both fully visible, Done reachable on a phone", async () => {
  assert.ok(await waitFor(async () => (await state()).session.reminders.length >= 2, 40000), "the demo did not raise two reminders");
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForFunction(() => document.querySelectorAll("#reminders .reminder").length >= 2);
    // The page scrolls to the box; the box itself never hides a reminder (no inner scrolling):
    // every reminder's words and its Done lie inside the box and inside the screen.
    await p.evaluate(() => document.getElementById("reminders").scrollIntoView({ block: "start" }));
    const cut = await p.evaluate(() => {
      const box = document.getElementById("reminders").getBoundingClientRect();
      const out = [];
      for (const r of document.querySelectorAll("#reminders .reminder"))
        for (const e of [r.querySelector(".what"), r.querySelector("button:last-child")]) {
          const b = e.getBoundingClientRect();
          if (b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5 || b.right > box.right + 0.5 || b.bottom > innerHeight + 0.5)
            out.push(r.dataset.cue + ":" + e.textContent);
        }
      return out;
    });
    assert.deepEqual(cut, [], `cut off at ${w}x${h}`);
    if (w === 390) await p.screenshot({ path: join(SHOTS, "reminders-390x844.png"), fullPage: true });
    await p.context().close();
  }
});

test("on a phone every control's words stay on one line; each phase has a lane of its own", async () => {
  const p = await page({ width: 390, height: 844 });
  await p.waitForSelector("#session:not(.hidden)");
  await p.waitForSelector("#timeline svg.lanes g.phase");
  const wrapped = await p.evaluate(() => [...document.querySelectorAll("#session .controls button:not(.hidden)")].filter((b) => {
    const r = document.createRange(); r.selectNodeContents(b);
    const lines = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
    return lines.size > 1 || b.scrollWidth > b.clientWidth + 1;
  }).map((b) => b.textContent.trim()));
  assert.deepEqual(wrapped, [], "buttons whose words wrap or spill at 390x844");
  // One lane per phase: its label above its own bar, lanes one under another, none overlapping.
  const lanes = await p.evaluate(() => [...document.querySelectorAll("#timeline g.phase")].map((g) => {
    const t = g.querySelector("text").getBoundingClientRect(), lane = g.querySelector("rect.lane").getBoundingClientRect();
    return { label: t.top, bottom: t.bottom, lane: lane.top, laneBottom: lane.bottom, width: lane.width };
  }));
  const svgWidth = await p.evaluate(() => document.querySelector("#timeline svg").getBoundingClientRect().width);
  lanes.forEach((l, i) => {
    assert.ok(l.bottom <= l.lane + 1, `lane ${i}: its label overlaps its bar`);
    assert.ok(l.width > svgWidth * 0.9, `lane ${i}: no full-width lane behind the bar`);
    if (i) assert.ok(l.label >= lanes[i - 1].laneBottom - 1, `lane ${i} overlaps the lane above`);
  });
  await p.screenshot({ path: join(SHOTS, "phone-controls-390x844.png"), fullPage: true });
  await p.context().close();
});

test("Volume, Comfort, Lights up and End stay on the screen however much sits above them", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForSelector("#timeline svg g.phase");
    // Above them now: pinned items, the phase, the arc and reminders (what a real session holds).
    const above = await p.evaluate(() => document.getElementById("b-lights").closest(".panel").offsetTop);
    for (const y of [0, 200, 400]) {
      await p.evaluate((top) => scrollTo(0, top), y);
      // Nothing covers a control: the element at each button's centre is the button.
      const covered = await p.evaluate(() => ["b-hold", "b-extend", "b-skip", "b-vol-down", "b-lights", "b-end"].filter((id) => {
        const b = document.getElementById(id).getBoundingClientRect();
        const at = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
        return b.bottom > 0 && b.top < innerHeight && !(at && at.closest("#" + id));
      }));
      assert.deepEqual(covered, [], `covered at ${w}x${h}, scrolled to ${y}`);
      for (const id of ["#b-vol-down", "#b-comfort", "#b-lights", "#b-end", "#b-hold", "#b-extend", "#b-skip"])
        assert.ok(await fullyVisible(p, id), `${id} is off the screen at ${w}x${h}, scrolled to ${y} (its panel starts at ${above} px)`);
    }
    if (w === 1180) await p.screenshot({ path: join(SHOTS, "controls-in-reach-1180x820.png") });
    await p.context().close();
  }
});

// What a busy session holds above the arc (one flagged reading pinned, a monitor with a high
// alert and its minute trend, no reminder due), shown to the page with the room's stream paused: a room with monitors is not needed
// to lay it out. `reminders` keeps the room's overdue reminders (pinned too); `monitoring` opens
// the monitoring clock with its discharge checklist (a template with "monitoring", after the
// dose); `monitors: false` is a room without monitors and nothing pinned; `flagged: false`
// neither the flagged reading nor the monitor's alert (the live values and their trend only).
async function busySession(p, { reminders = false, monitoring = false, monitors = true, flagged = true } = {}) {
  await p.evaluate(([keep, monitoring, monitors, flagged]) => { eventsAbort.abort(); const s = structuredClone(state);
    const at = s.session.since_start;
    if (!keep) s.session.reminders = []; // none overdue: one reading pinned
    if (monitoring) s.session.monitoring = { after_dose_s: 7200, left_s: 7200 - s.session.since_dose, reached: false, ready: false, discharged: null,
      checklist: [{ item: "monitoring_time", ok: false }, { item: "bp_in_range", ok: false, bp: { systolic: 175, diastolic: 96 } },
                  { item: "sedation_resolved", ok: false }, { item: "dissociation_resolved", ok: false }] };
    if (!monitors) { render(s); return; }
    s.session.vitals_trend = Array.from({ length: Math.floor(at / 60) }, (_, i) => ({ minute_s: i * 60,
      spo2: { median: 90 + (i % 9), min: 89, max: 99, n: 60 }, hr: { median: 60 + (i % 30), min: 58, max: 95, n: 60 } }));
    s.session.vitals_live = { spo2: { value: 89, source: "oxi", age_s: 1 }, hr: { value: 72, source: "oxi", age_s: 1 } };
    if (!flagged) { s.session.alerts = []; render(s); return; }
    s.session.vitals = [...(s.session.vitals || []), { at, since_dose: s.session.since_dose, systolic: 175, diastolic: 96, flags: ["systolic_high"] }];
    s.session.entries = [...(s.session.entries || []), { seq: 99999, kind: "vitals", t_s: at, value: { systolic: 175, diastolic: 96 }, status: "final", by: "x", corrections: [] }];
    s.session.alerts = [{ id: "a1", kind: "spo2_low", priority: "high", since_s: at - 70, value: 89, source: "oxi", escalated: true }];
    render(s); }, [reminders, monitoring, monitors, flagged]);
  if (monitoring) await p.waitForSelector("#monitoring:not(.hidden)");
  if (!monitors) return;
  await p.waitForSelector("#timeline #tl-vitals polyline", { state: "attached" });
  if (!flagged) return;
  await p.waitForSelector("#pinned .pin-vitals");
  await p.waitForSelector("#mon-alerts .mon-alert");
}
// The boxes of the arc's time labels the pinned control rows cover (none is the answer).
function coveredTicks(p) {
  return p.evaluate(() => {
    const docks = [...document.querySelectorAll("#session .controls")].map((d) => d.getBoundingClientRect());
    return [...document.querySelectorAll("#timeline text.tick")].map((t) => [t.textContent, t.getBoundingClientRect()])
      .filter(([, r]) => docks.some((d) => r.bottom > d.top && r.top < d.bottom && r.right > d.left && r.left < d.right))
      .map(([what, r]) => `${what} at ${Math.round(r.top)}-${Math.round(r.bottom)}`);
  });
}

// The arc's time labels not wholly on the screen above the pinned control rows.
function ticksOutOfView(p) {
  return p.evaluate(() => {
    const top = Math.min(innerHeight, ...[...document.querySelectorAll("#session .controls")].map((d) => d.getBoundingClientRect().top));
    return [...document.querySelectorAll("#timeline text.tick")].map((t) => [t.textContent, t.getBoundingClientRect()])
      .filter(([, r]) => r.top < 0 || r.bottom > top).map(([what, r]) => `${what} at ${Math.round(r.top)}-${Math.round(r.bottom)} (the rows from ${Math.round(top)})`);
  });
}

test("each control row fits on its line and the pinned rows never cover the arc's time labels", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForSelector("#timeline svg text.tick");
    await busySession(p);
    const where = `${w}x${h}`;
    // A tablet shows the arc's times as the session screen opens; a phone when it is scrolled
    // to (the arc at the top of the screen), and the tablets then too.
    if (w > 600) assert.deepEqual(await coveredTicks(p), [], `the arc's time labels under the controls at ${where}, as the screen opens`);
    await p.evaluate(() => document.getElementById("timeline").scrollIntoView({ block: "start" }));
    assert.deepEqual(await coveredTicks(p), [], `the arc's time labels under the controls at ${where}, scrolled to the arc`);
    for (const id of ["#b-lights", "#b-end", "#b-comfort", "#b-vol-down"]) assert.ok(await fullyVisible(p, id), `${id} is cut off at ${where}`);
    // A landscape tablet: each pinned row on one line (Lights up and End beside Comfort).
    if (w > 1000) {
      const tops = await p.evaluate(() => [...document.querySelectorAll("#session .controls")].map((d) =>
        [...new Set([...d.querySelectorAll("button")].filter((b) => b.offsetParent).map((b) => Math.round(b.getBoundingClientRect().top)))]));
      for (const row of tops) assert.equal(row.length, 1, `a control row wraps at ${where}: button tops ${row}`);
    }
    await p.evaluate(() => scrollTo(0, 0));
    await p.screenshot({ path: join(SHOTS, `controls-arc-${where}.png`) });
    await p.evaluate(() => { listen(); });
    await p.context().close();
  }
});

test("on a phone the phase's clocks are in view as the session screen opens, the controls beneath them", async () => {
  assert.ok(await waitFor(async () => (await state()).session.reminders.length >= 2, 40000), "the demo did not raise two reminders");
  const p = await page({ width: 390, height: 844 });
  await p.waitForSelector("#session:not(.hidden)");
  await p.waitForSelector("#timeline svg g.phase");
  // What the walk met 40 minutes in: two reminders overdue and a flagged reading pinned, a
  // monitor with its alert, all above the phase.
  await busySession(p, { reminders: true });
  await p.waitForFunction(() => document.querySelectorAll("#pinned .pin-reminder").length >= 2);
  await p.evaluate(() => scrollTo(0, 0));
  // Time in the phase, since the dose and the next phase: each shown somewhere on the screen,
  // whole, and under nothing (the element at its centre is itself).
  const unseen = await p.evaluate(() => Object.entries({ "time in phase": "#phase-clock, #dock-phase", "since dose": "#since-dose, #dock-dose",
                                                        "next phase": "#next-phase, #dock-next" }).filter(([, sel]) =>
    ![...document.querySelectorAll(sel)].some((e) => {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth || !e.textContent.trim()) return false;
      const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return at && (at === e || e.contains(at));
    })).map(([what]) => what));
  await p.screenshot({ path: join(SHOTS, "phone-clocks-390x844.png") });
  assert.deepEqual(unseen, [], "clocks out of sight at 390x844 without scrolling");
  for (const id of ["#b-hold", "#b-next", "#b-vol-down", "#b-comfort", "#b-lights", "#b-end"]) assert.ok(await fullyVisible(p, id), `${id} is out of reach`);
  await p.evaluate(() => { listen(); });
  await p.context().close();
});

test("no control row leaves an empty cell: before the dose, after it and with a booster due", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForSelector("#dose-given:not(.hidden)");
    // Each line of a control row runs from the row's left edge to its right (a gap at the end
    // of a line is an empty cell); a landscape tablet's rows are one line each.
    const gaps = () => p.evaluate(() => [...document.querySelectorAll("#session .controls")].flatMap((d) => {
      const box = d.getBoundingClientRect(), s = getComputedStyle(d);
      const left = box.left + parseFloat(s.paddingLeft) + parseFloat(s.borderLeftWidth), right = box.right - parseFloat(s.paddingRight) - parseFloat(s.borderRightWidth);
      const lines = []; // items whose middles lie in one line's height share it
      for (const e of d.children) {
        const r = e.getBoundingClientRect(), mid = (r.top + r.bottom) / 2;
        if (!r.width) continue;
        let l = lines.find((x) => mid > x.top && mid < x.bottom);
        if (!l) lines.push(l = { top: r.top, bottom: r.bottom, left: Infinity, right: -Infinity, what: [] });
        l.left = Math.min(l.left, r.left); l.right = Math.max(l.right, r.right); l.what.push(e.id || e.className);
      }
      if (lines.length < 2) return [];
      return lines.filter((l) => l.left > left + 2 || l.right < right - 2)
        .map((l) => `${d.id}: ${l.what.join(" ")} spans ${Math.round(l.left - left)}..${Math.round(l.right - left)} of ${Math.round(right - left)}`);
    }));
    const where = `${w}x${h}`;
    assert.deepEqual(await gaps(), [], `an empty cell after the dose at ${where}`);
    await p.screenshot({ path: join(SHOTS, `controls-cells-${where}.png`) });
    await p.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state); s.session.since_dose = null; render(s); });
    await p.waitForSelector("#b-dose:not(.hidden)");
    assert.deepEqual(await gaps(), [], `an empty cell before the dose at ${where}`);
    await p.evaluate(() => { const s = structuredClone(state); s.session.since_dose = 600;
      s.session.has_booster = true; s.session.booster = false; s.session.booster_available = true; render(s); });
    await p.waitForSelector("#b-booster:not(.hidden)");
    assert.deepEqual(await gaps(), [], `an empty cell with the booster due at ${where}`);
    await p.evaluate(() => { listen(); });
    await p.context().close();
  }
});

test("the vitals trend on the arc has a band of its own: it crosses no phase's name", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForSelector("#timeline svg g.phase");
    await busySession(p);
    const crossed = await p.evaluate(() => {
      const lines = [...document.querySelectorAll("#tl-vitals polyline")].map((l) => l.getBoundingClientRect());
      return [...document.querySelectorAll("#timeline g.phase text")].filter((t) => { const r = t.getBoundingClientRect();
        return lines.some((l) => l.left < r.right && l.right > r.left && l.top < r.bottom && l.bottom > r.top); }).map((t) => t.textContent);
    });
    assert.ok(await p.locator("#tl-vitals polyline").count() === 2, "no SpO2 and pulse lines on the arc");
    assert.deepEqual(crossed, [], `phase names under the trend at ${w}x${h}`);
    if (w === 1180) await p.locator("#timeline").screenshot({ path: join(SHOTS, "arc-trend-1180x820.png") });
    await p.evaluate(() => { listen(); });
    await p.context().close();
  }
});

test("with the monitoring clock open, the arc's time labels stay clear of the controls", async () => {
  for (const [w, h] of [[1180, 820], [820, 1180], [390, 844]]) {
    const p = await page({ width: w, height: h });
    await p.waitForSelector("#session:not(.hidden)");
    await p.waitForSelector("#timeline svg text.tick");
    // After the dose, the monitoring clock and its checklist above the phase, in a room whose
    // oximeter shows its live values and trend (what the walk met; no alert, nothing pinned).
    await busySession(p, { monitoring: true, flagged: false });
    const where = `${w}x${h}`;
    if (w > 600) assert.deepEqual(await ticksOutOfView(p), [], `the arc's time labels out of view at ${where}, as the screen opens`);
    await p.evaluate(() => document.getElementById("timeline").scrollIntoView({ block: "start" }));
    assert.deepEqual(await coveredTicks(p), [], `the arc's time labels under the controls at ${where}, scrolled to the arc`);
    await p.evaluate(() => scrollTo(0, 0));
    await p.screenshot({ path: join(SHOTS, `monitoring-arc-${where}.png`) });
    await p.evaluate(() => { listen(); });
    await p.context().close();
  }
});

test("once given, the dose and the booster are shown in words and their inputs are gone", async () => {
  const p = await page({ width: 1180, height: 820 });
  await p.waitForSelector("#session:not(.hidden)");
  await p.waitForSelector("#dose-given:not(.hidden)");
  const dose = (await state()).session.entries.find((e) => e.kind === "dose");
  const at = Math.floor(dose.t_s), clockText = `${Math.floor(at / 60)}:${String(at % 60).padStart(2, "0")}`;
  assert.equal(await p.textContent("#dose-given"), `Dose given ${clockText} · 56 mg IM`);
  for (const id of ["#dose-fields", "#b-dose"]) assert.ok(await p.locator(id).isHidden(), `${id} is still shown after the dose`);
  // A template with a booster: the fields go with Booster while it is due, then it is words too
  // (shown to the page: this room's session has no booster).
  // What was typed for the dose never carries over to the booster (shown the state before the
  // dose, typed, then the booster due).
  await p.evaluate(() => { eventsAbort.abort(); const s = structuredClone(state);
    window.sinceDoseGiven = s.session.since_dose; s.session.since_dose = null; render(s); });
  await p.waitForSelector("#dose-fields:not(.hidden)");
  await p.fill("#dose-mg", "56");
  await p.evaluate(() => { const s = structuredClone(state); s.session.since_dose = window.sinceDoseGiven;
    s.session.has_booster = true; s.session.booster = false; s.session.booster_available = true; render(s); });
  await p.waitForSelector("#b-booster:not(.hidden):not([disabled])");
  assert.ok(await p.locator("#dose-fields").isVisible(), "no dose fields beside a due booster");
  assert.equal(await p.inputValue("#dose-mg"), "", "the dose's amount was left in the booster's field");
  await p.evaluate(() => { const s = structuredClone(state);
    s.session.booster = true; s.session.booster_available = false;
    s.session.entries = [...s.session.entries, { seq: 99998, kind: "booster", t_s: 1805, value: { amount_mg: 28, route: "IM" }, status: "final", by: "x", corrections: [] }];
    render(s); });
  assert.equal(await p.textContent("#booster-given"), "Booster given 30:05 · 28 mg IM");
  for (const id of ["#dose-fields", "#b-dose", "#b-booster"]) assert.ok(await p.locator(id).isHidden(), `${id} is still shown after the booster`);
  await p.evaluate(() => { listen(); });
  await p.context().close();
});

test("the arc redrawn while the clinic is on another tab is drawn at the session screen's width", async () => {
  const p = await page({ width: 1180, height: 820 }, "2468");
  await p.waitForSelector("#timeline svg g.phase");
  await p.click('nav button[data-screen="clinic"]');
  await p.waitForSelector("#therapist.hidden", { state: "attached" });
  await p.evaluate(() => drawTimeline()); // what a new phase or a Hold does while the tab is away
  await p.click('nav button[data-screen="therapist"]');
  const [drawn, box] = await p.evaluate(() => [Number(document.querySelector("#timeline svg").getAttribute("width")),
                                               document.getElementById("timeline").clientWidth]);
  assert.ok(Math.abs(drawn - (box - 34)) <= 2, `the arc is drawn ${drawn} px wide in a ${box} px box`);
  await p.context().close();
});

test("the report opens dark on the tablet and prints light", async () => {
  assert.equal((await api("POST", "session/end", {})).status, 200);
  assert.ok(await waitFor(async () => (await state()).session.status === "finished", 60000), "the session did not finish");
  const p = await page({ width: 1180, height: 820 });
  await p.waitForSelector("#summary:not(.hidden)");
  // The summary tells the truth about the reading marked entered in error (SpO₂ 88, above).
  const row = p.locator("#summary-body tr", { hasText: "SpO₂ 88" });
  assert.match(await row.textContent(), /entered in error/);
  assert.doesNotMatch(await row.textContent(), /⚑/);
  await p.click("#summary-report");
  await p.waitForSelector("#report-panel:not(.hidden)");
  const frame = p.frameLocator("#report-frame");
  await frame.locator("body").waitFor();
  // What the eye gets: the page's light background through the screen filter.
  const shown = () => frame.locator("html").evaluate((h) => {
    const bg = getComputedStyle(document.body).backgroundColor, f = getComputedStyle(h).filter;
    let [r, g, b, a] = (bg.match(/\d+(\.\d+)?/g) || ["255", "255", "255"]).map(Number);
    if (a === 0) [r, g, b] = [255, 255, 255]; // transparent: the frame's white canvas
    const m = /invert\(([\d.]+)\)/.exec(f); const k = m ? Number(m[1]) : 0;
    const lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    return { filter: f, shown: lum * (1 - k) + (1 - lum) * k };
  });
  const screen = await shown();
  assert.ok(screen.shown < 0.2, `the report is light on the tablet (${JSON.stringify(screen)})`);
  await p.screenshot({ path: join(SHOTS, "report-dark-1180x820.png") });
  await p.emulateMedia({ media: "print" });
  const print = await shown();
  assert.ok(print.shown > 0.8, `the report prints dark (${JSON.stringify(print)})`);
  await p.context().close();
});
