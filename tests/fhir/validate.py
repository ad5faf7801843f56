"""Checks a FHIR R4 Bundle (JSON on stdin) the way the health-record tests need.

1. Every entry's resource, and the Bundle itself, against the official HL7 FHIR R4 JSON
   schema (fhir.schema.json, draft-06: enums, patterns, unknown properties).
2. The whole Bundle with the fhir.resources R4B models (required fields, cardinalities).
3. With --ips PACKAGE: an International Patient Summary document — type document with an
   identifier and a timestamp, a final Composition typed LOINC 60591-5 first, and every
   section the IPS Composition profile requires (read from the profile itself) present with
   entries or an emptyReason.
Always: every reference resolves to an entry's fullUrl.

Prints one line per problem and exits 1 if there is any; prints "ok N resources" otherwise.

    python validate.py fhir.schema.json [--ips hl7.fhir.uv.ips/package] < bundle.json
"""

import json
import sys

import jsonschema
from fhir.resources.R4B.bundle import Bundle


def references(value, out):
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str):
            out.append(ref)
        for v in value.values():
            references(v, out)
    elif isinstance(value, list):
        for v in value:
            references(v, out)


def resolve(ref, full_url):
    """The absolute form of a reference made in the entry whose fullUrl is `full_url`."""
    if ref.startswith("urn:") or "://" in ref or ref.startswith("#"):
        return ref
    parts = full_url.rsplit("/", 2)
    return f"{parts[0]}/{ref}" if len(parts) == 3 else ref


def main():
    schema_path = sys.argv[1]
    ips = sys.argv[sys.argv.index("--ips") + 1] if "--ips" in sys.argv else None
    bundle = json.load(sys.stdin)
    problems = []

    schema = json.load(open(schema_path))
    definitions = {"definitions": schema["definitions"]}
    validator_cls = jsonschema.validators.validator_for(schema)
    shell = dict(bundle)
    shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in bundle.get("entry", [])]
    for label, doc, ty in [("Bundle", shell, "Bundle")] + [
        (e.get("fullUrl", "?"), e.get("resource", {}), e.get("resource", {}).get("resourceType", "?"))
        for e in bundle.get("entry", [])
    ]:
        v = validator_cls({"$ref": f"#/definitions/{ty}", **definitions})
        for err in v.iter_errors(doc):
            problems.append(f"schema {label}: {'/'.join(map(str, err.absolute_path))}: {err.message[:200]}")

    try:
        Bundle.model_validate(bundle)
    except Exception as e:  # pydantic.ValidationError lists every failing field
        for line in str(e).splitlines()[:40]:
            problems.append(f"fhir.resources: {line}")

    full_urls = {e.get("fullUrl") for e in bundle.get("entry", [])}
    for e in bundle.get("entry", []):
        refs = []
        references(e.get("resource", {}), refs)
        for r in refs:
            if resolve(r, e.get("fullUrl", "")) not in full_urls and not r.startswith("#"):
                problems.append(f"reference {r} in {e.get('fullUrl')} resolves to no entry")

    if ips:
        profile = json.load(open(f"{ips}/StructureDefinition-Composition-uv-ips.json"))
        required = []
        for el in profile["snapshot"]["element"]:
            if el["path"] == "Composition.section" and el.get("sliceName") and el.get("min", 0) >= 1:
                for f in profile["snapshot"]["element"]:
                    if f["id"] == el["id"] + ".code":
                        required.append((el["sliceName"], f["patternCodeableConcept"]["coding"][0]["code"]))
        if not required:
            problems.append("ips: no required section found in the profile")
        if bundle.get("type") != "document":
            problems.append("ips: Bundle.type is not document")
        if not bundle.get("identifier") or not bundle.get("timestamp"):
            problems.append("ips: a document needs an identifier and a timestamp")
        first = (bundle.get("entry") or [{}])[0].get("resource", {})
        codes = [c.get("code") for c in first.get("type", {}).get("coding", [])]
        if first.get("resourceType") != "Composition" or "60591-5" not in codes or first.get("status") != "final":
            problems.append("ips: the first entry is not a final Composition typed 60591-5")
        sections = {}
        for s in first.get("section", []):
            for c in s.get("code", {}).get("coding", []):
                sections[c.get("code")] = s
        for name, code in required:
            s = sections.get(code)
            if s is None:
                problems.append(f"ips: required section {name} ({code}) missing")
            elif not s.get("entry") and not s.get("emptyReason"):
                problems.append(f"ips: section {name} ({code}) has neither entries nor an emptyReason")
            elif not s.get("text", {}).get("div"):
                problems.append(f"ips: section {name} ({code}) has no narrative")

    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok {len(bundle.get('entry', []))} resources")


if __name__ == "__main__":
    main()
