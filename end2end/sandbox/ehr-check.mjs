// Self-check of the sandbox EHR (ehr.mjs) against a running instance, for people editing its
// fixtures (the Rust tests do not use it). Exits non-zero on any failure. It changes the sandbox's
// delay while it runs and resets the sandbox at the end.
//
//   node end2end/sandbox/ehr.mjs &            # then
//   node end2end/sandbox/ehr-check.mjs        # EHR_URL=http://127.0.0.1:4030 EHR_CLIENT_ID=… EHR_CLIENT_SECRET=…
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = (process.argv[2] ?? process.env.EHR_URL ?? "http://127.0.0.1:4030").replace(/\/$/, "");
const base = `${root}/fhir`;
const clientId = process.env.EHR_CLIENT_ID ?? "dvc-portal";
const clientSecret = process.env.EHR_CLIENT_SECRET ?? "sandbox-ehr-secret";
const CCCD = "http://fhir.hl7.org.vn/core/sid/cccd";
const PEOPLE = { an: "001089012345", "gia-han": "001315000777", binh: "001189012389", cuong: "001095001122", ben: "001070088888" };

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${!ok && detail ? ` — ${detail}` : ""}`);
  return ok;
}
const form = (o) => ({ "Content-Type": "application/x-www-form-urlencoded", body: new URLSearchParams(o).toString() });
const post = (url, { headers = {}, body, ...rest } = {}) => fetch(url, { method: "POST", headers, body, ...rest });

async function token() {
  const f = form({ grant_type: "client_credentials" });
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  const r = await post(`${root}/oauth/token`, { headers: { "Content-Type": f["Content-Type"], Authorization: `Basic ${basic}` }, body: f.body });
  const j = await r.json();
  check(r.status === 200, "token (client_secret_basic) → 200", `${r.status} ${JSON.stringify(j)}`);
  check(/^[A-Za-z0-9_-]{43}$/.test(j.access_token ?? "") && j.token_type === "Bearer" && j.expires_in === 300 && j.scope === "system/*.read", "token answer shape", JSON.stringify(j));
  check((r.headers.get("cache-control") ?? "").includes("no-store"), "token answer is Cache-Control: no-store");
  return j.access_token;
}

async function main() {
  const t0 = Date.now();
  const h = await fetch(`${root}/healthz`);
  check(h.status === 200 && (await h.text()) === "ok", "GET /healthz → 200 ok");

  const tok = await token();
  const auth = { Authorization: `Bearer ${tok}` };
  {
    const f = form({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret });
    const r = await post(`${root}/oauth/token`, { headers: { "Content-Type": f["Content-Type"] }, body: f.body });
    check(r.status === 200 && (await r.json()).access_token, "token (client_secret_post) → 200");
    const w = form({ grant_type: "client_credentials", client_id: clientId, client_secret: "wrong" });
    const rw = await post(`${root}/oauth/token`, { headers: { "Content-Type": w["Content-Type"] }, body: w.body });
    check(rw.status === 401 && (await rw.json()).error === "invalid_client", "wrong client secret → 401 invalid_client");
    const g = form({ grant_type: "password", client_id: clientId, client_secret: clientSecret, username: "x", password: "y" });
    const rg = await post(`${root}/oauth/token`, { headers: { "Content-Type": g["Content-Type"] }, body: g.body });
    check(rg.status === 400 && (await rg.json()).error === "unsupported_grant_type", "other grant → 400 unsupported_grant_type");
  }
  {
    const r = await fetch(`${base}/Patient`);
    const j = await r.json().catch(() => ({}));
    check(r.status === 401 && j.resourceType === "OperationOutcome" && /application\/fhir\+json/.test(r.headers.get("content-type")), "no token → 401 OperationOutcome (fhir+json)");
    const r2 = await fetch(`${base}/Patient/an`, { headers: { Authorization: "Bearer not-a-token" } });
    check(r2.status === 401, "unknown token → 401");
    const r3 = await post(`${base}/Patient`, { headers: { ...auth, "Content-Type": "application/fhir+json" }, body: JSON.stringify({ resourceType: "Patient" }) });
    check(r3.status === 405, "POST /fhir/Patient → 405 (read-only)", String(r3.status));
    const r4 = await fetch(`${base}/metadata`, { headers: auth });
    const cs = await r4.json();
    check(r4.status === 200 && cs.resourceType === "CapabilityStatement" && cs.fhirVersion === "4.0.1", "GET /fhir/metadata → CapabilityStatement 4.0.1");
    const r5 = await fetch(`${base}/Patient/nobody`, { headers: auth });
    check(r5.status === 404, "read of a missing Patient → 404", String(r5.status));
  }

  const get = async (path, headers = {}) => {
    const r = await fetch(`${base}/${path}`, { headers: { ...auth, ...headers } });
    return { status: r.status, type: r.headers.get("content-type") ?? "", json: await r.json().catch(() => null) };
  };

  for (const [id, cccd] of Object.entries(PEOPLE)) {
    const r = await get(`Patient?identifier=${encodeURIComponent(`${CCCD}|${cccd}`)}`);
    check(r.status === 200 && r.json?.total === 1 && r.json.entry?.[0]?.resource?.id === id && r.json.entry[0].fullUrl === `${base}/Patient/${id}`,
      `Patient?identifier=cccd|${cccd} → ${id}`, JSON.stringify(r.json)?.slice(0, 200));
  }
  for (const q of ["patient=an", "patient=Patient/an", "subject=Patient/an"]) {
    const r = await get(`Observation?${q}&code=${encodeURIComponent("http://loinc.org|4548-4")}&_sort=date`);
    const dates = (r.json?.entry ?? []).map((e) => e.resource.effectiveDateTime);
    check(r.status === 200 && dates.length >= 10 && dates.join() === [...dates].sort().join(), `Observation?${q}&code=loinc|4548-4 → HbA1c trend (${dates.length})`);
  }

  const bundles = {};
  const dir = mkdtempSync(join(tmpdir(), "ehr-check-"));
  const pdftotext = spawnSync("pdftotext", ["-v"]).error ? null : "pdftotext";
  if (!pdftotext) console.log("note pdftotext not found (Debian: poppler-utils): PDFs checked structurally only");
  for (const id of Object.keys(PEOPLE)) {
    const t = Date.now();
    const r = await get(`Patient/${id}/$everything`);
    const b = r.json;
    bundles[id] = b;
    const entries = b?.entry ?? [];
    check(r.status === 200 && /application\/fhir\+json/.test(r.type) && b.resourceType === "Bundle" && b.type === "searchset", `${id}: $everything → searchset (${Date.now() - t} ms)`);
    check(entries[0]?.resource?.resourceType === "Patient" && entries[0].resource.id === id, `${id}: Patient first`);
    const urls = new Set(entries.map((e) => e.fullUrl));
    check(urls.size === entries.length && entries.every((e) => e.fullUrl === `${base}/${e.resource.resourceType}/${e.resource.id}`), `${id}: fullUrls unique, <base>/<Type>/<id>`);
    check(entries.every((e) => ["match", "include"].includes(e.search?.mode)), `${id}: every entry has search.mode`);
    check(b.total === entries.filter((e) => e.search.mode === "match").length, `${id}: total = number of matches`);
    check(!entries.some((e) => e.resource.resourceType === "Binary"), `${id}: no Binary in $everything`);
    check(!entries.some((e, i) => i > 0 && e.resource.resourceType === "Patient"), `${id}: no other Patient`);
    const dangling = [];
    const walk = (v) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (k === "reference" && typeof x === "string" ? !urls.has(x.includes("://") ? x : `${base}/${x}`) && dangling.push(x) : walk(x));
    };
    entries.forEach((e) => walk(e.resource));
    check(dangling.length === 0, `${id}: every reference resolves to an entry`, [...new Set(dangling)].slice(0, 10).join(", "));
    const counts = {};
    for (const e of entries) counts[e.resource.resourceType] = (counts[e.resource.resourceType] ?? 0) + 1;
    console.log(`     ${id}: ${entries.length} entries ${JSON.stringify(counts)}`);

    // Attachments → Binary (raw PDF and FHIR JSON).
    for (const e of entries) {
      const atts = [...(e.resource.content ?? []).map((c) => c.attachment), ...(e.resource.presentedForm ?? [])];
      for (const a of atts.filter((x) => x?.url?.startsWith("Binary/"))) {
        const what = `${e.resource.resourceType}/${e.resource.id} → ${a.url}`;
        const raw = await fetch(`${base}/${a.url}`, { headers: { ...auth, Accept: "application/pdf" } });
        const bytes = Buffer.from(await raw.arrayBuffer());
        check(raw.status === 200 && raw.headers.get("content-type") === "application/pdf", `${what}: Accept application/pdf → raw application/pdf`);
        check(bytes.length === a.size && createHash("sha1").update(bytes).digest("base64") === a.hash, `${what}: size and SHA-1 hash match the attachment`);
        const pdfErr = pdfProblems(bytes);
        check(!pdfErr, `${what}: valid PDF (header, xref offsets, trailer)`, pdfErr);
        if (pdftotext) {
          const file = join(dir, "x.pdf");
          writeFileSync(file, bytes);
          const p = spawnSync(pdftotext, [file, "-"], { encoding: "utf8" });
          check(p.status === 0 && p.stdout.trim().length > 40 && !p.stderr.trim(), `${what}: pdftotext reads it`, p.stderr);
        }
        const js = await get(a.url, { Accept: "application/fhir+json" });
        check(js.json?.resourceType === "Binary" && Buffer.from(js.json.data ?? "", "base64").equals(bytes), `${what}: Accept fhir+json → Binary resource with the same data`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });

  // Fixture facts the portal's tests rely on.
  const res = (id) => (bundles[id]?.entry ?? []).map((e) => e.resource);
  const an = res("an");
  const find = (list, type, id) => list.find((r) => r.resourceType === type && r.id === id);
  const canary = an.filter((r) => JSON.stringify(r).includes("CANARY-EHR-7f3a"));
  check(canary.length === 2 && canary.some((r) => r.resourceType === "Condition" && r.note?.[0]?.text.includes("CANARY-EHR-7f3a")) &&
    canary.some((r) => r.resourceType === "Observation" && r.category?.[0]?.coding?.[0]?.code === "laboratory" && r.note?.[0]?.text.includes("CANARY-EHR-7f3a")),
    "an: CANARY-EHR-7f3a in exactly one Condition note and one lab Observation note", canary.map((r) => r.id).join());
  const others = ["gia-han", "binh", "cuong", "ben"].filter((p) => JSON.stringify(bundles[p]).includes("CANARY-EHR-7f3a"));
  check(others.length === 0, "no CANARY marker outside An's record", others.join());
  check(find(an, "Observation", "obs-an-2026-11-afp")?.meta?.security?.some((s) => s.code === "NOPAT"), "an: obs-an-2026-11-afp carries meta.security NOPAT");
  check(find(an, "Observation", "obs-an-2026-11-glucose-mao-mach")?.valueQuantity?.value === "7,2", 'an: obs-an-2026-11-glucose-mao-mach valueQuantity.value is the string "7,2"');
  const encs = an.filter((r) => r.resourceType === "Encounter");
  check(encs.length >= 20 && ["AMB", "IMP", "EMER"].every((c) => encs.some((e) => e.class.code === c)), `an: ${encs.length} encounters, AMB + IMP + EMER`);
  check(encs.every((e) => e.identifier?.[0]?.system === "http://fhir.hl7.org.vn/core/sid/ma-lk" && /\+07:00$/.test(e.period.start)), "an: encounters carry MA_LK and +07:00 periods");
  check(new Set(an.map((r) => r.serviceProvider?.reference).filter(Boolean)).size === 3, "an: visits at three facilities");
  check(find(an, "AllergyIntolerance", "allergy-an-penicillin")?.code?.text === "Penicillin", "an: penicillin allergy");
  check(find(an, "Appointment", "appt-an-2027-01-tai-kham")?.start === "2027-01-15T08:00:00+07:00", "an: re-examination appointment 2027-01-15");
  check(find(an, "ServiceRequest", "sr-an-2026-10-chuyen-tuyen")?.performer?.[0]?.reference === "Organization/bv-bach-mai", "an: referral to Bệnh viện Bạch Mai");
  const cov = find(an, "Coverage", "cov-an-2026");
  check(cov?.identifier?.[0]?.value === "001089012345" && cov.extension?.[0]?.valueReference?.reference === "Organization/tyt-hoan-kiem", "an: Coverage BHYT number = CCCD, initial-care facility extension");
  check(an.some((r) => r.resourceType === "Observation" && r.category?.[0]?.coding?.[0]?.code === "laboratory" && r.valueQuantity && !r.referenceRange), "an: some lab results have no reference range");
  check(["18842-5", "57133-1", "34133-9"].every((c) => an.some((r) => r.resourceType === "DocumentReference" && r.type?.coding?.[0]?.code === c)), "an: discharge, referral and visit-summary documents");
  const loinc = new Set(Object.values(bundles).flatMap((b) => (b?.entry ?? []).map((e) => e.resource)).filter((r) => r.resourceType === "Observation" && r.category?.[0]?.coding?.[0]?.code === "laboratory").map((r) => r.code.coding.find((c) => c.system === "http://loinc.org")?.code));
  check(loinc.size >= 30, `distinct LOINC lab codes: ${loinc.size} (≥ 30)`);

  const han = res("gia-han");
  const imm = han.filter((r) => r.resourceType === "Immunization");
  const doses = (cvx) => imm.filter((i) => i.vaccineCode.coding.some((c) => c.system === "http://hl7.org/fhir/sid/cvx" && c.code === cvx)).map((i) => i.protocolApplied[0].doseNumberPositiveInt).sort();
  check(doses("39").join() === "1,2", "gia-han: Japanese encephalitis doses 1 and 2 done, 3 missing", doses("39").join());
  check(["62", "118", "165"].every((c) => doses(c).length === 0), "gia-han: HPV missing (due at 11)");
  check(doses("10").join() === "1" && doses("09").join() === "1", "gia-han: IPV and Td (7 years) done");
  check(doses("102").join() === "1,2,3" && doses("02").join() === "1,2,3" && doses("08").length === 1 && doses("19").length === 1, "gia-han: Hep B, BCG, DPT-VGB-Hib 1–3, OPV 1–3 done");
  check(han.some((r) => r.resourceType === "RelatedPerson" && r.relationship?.[0]?.coding?.[0]?.code === "FTH" && r.identifier?.[0]?.value === "001089012345"), "gia-han: RelatedPerson FTH = An's CCCD");
  const gcs = find(res("binh"), "DocumentReference", "doc-binh-giay-chung-sinh");
  check(gcs?.type?.coding?.[0]?.code === "giay-chung-sinh" && gcs.extension?.length === 4 && gcs.content?.[0]?.attachment?.url === "Binary/pdf-binh-giay-chung-sinh", "binh: birth certificate with four newborn extensions and a PDF");
  const ben = res("ben").filter((r) => r.resourceType === "Encounter");
  check(ben.length >= 1 && ben.every((e) => e.period.start >= "2016-" && e.period.start < "2026-12"), `ben: ${ben.length} generated visits within 2016–2026-11`);

  // Delay control.
  {
    const d = await post(`${root}/_sandbox/delay?ms=400`);
    check(d.status === 200, "POST /_sandbox/delay?ms=400 → 200");
    let t = Date.now();
    await get("Patient/an");
    check(Date.now() - t >= 380, `delayed /fhir answer (${Date.now() - t} ms)`);
    t = Date.now();
    await fetch(`${root}/healthz`);
    check(Date.now() - t < 300, "healthz not delayed");
    await post(`${root}/_sandbox/delay?ms=0`);
    t = Date.now();
    await get("Patient/an");
    check(Date.now() - t < 300, `delay cleared (${Date.now() - t} ms)`);
    const bad = await post(`${root}/_sandbox/delay?ms=abc`);
    check(bad.status === 400, "delay with a bad value → 400");
  }
  {
    await post(`${root}/_sandbox/delay?ms=250`);
    const r = await post(`${root}/_sandbox/reset`);
    const j = await r.json();
    check(r.status === 200 && j.reset === true, `POST /_sandbox/reset → 200 (${j.resources} resources)`);
    const t = Date.now();
    const p = await get("Patient/an");
    check(p.status === 200 && Date.now() - t < 200, "after reset: data there, delay cleared");
  }
  console.log(`ehr-check: ${passed} passed, ${failed} failed (${Date.now() - t0} ms)`);
  process.exit(failed ? 1 : 0);
}

// Structural PDF check: header, %%EOF, startxref → xref table, each in-use entry at "N G obj".
function pdfProblems(bytes) {
  const s = bytes.toString("latin1");
  if (!s.startsWith("%PDF-1.")) return "no %PDF-1.x header";
  if (!/%%EOF\s*$/.test(s)) return "no %%EOF at the end";
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(s);
  if (!m) return "no startxref";
  const at = Number(m[1]);
  if (s.slice(at, at + 4) !== "xref") return `startxref ${at} does not point at the xref table`;
  const lines = s.slice(at).split(/\r?\n/);
  const [first, count] = lines[1].trim().split(/\s+/).map(Number);
  for (let i = 0; i < count; i++) {
    const e = lines[2 + i];
    if (e.length !== 19 && e.length !== 18) return `xref entry ${i} is not 20 bytes`;
    const [off, gen, kind] = e.trim().split(/\s+/);
    if (kind !== "n") continue;
    const obj = `${first + i} ${Number(gen)} obj`;
    if (s.slice(Number(off), Number(off) + obj.length) !== obj) return `xref entry ${first + i} (${off}) does not point at "${obj}"`;
  }
  if (!/trailer\s*<<[^]*\/Root\s+\d+\s+\d+\s+R/.test(s)) return "no trailer with /Root";
  return "";
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
