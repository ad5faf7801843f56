#!/usr/bin/env python3
"""Regenerate data/holidays.csv (Vietnamese public days off + swapped working
Saturdays, 2024-2030) from the PyPI `holidays` package (MIT). See data/SOURCES.md.

Usage:
    PYTHONPATH=/path/to/unzipped/holidays-0.109+python-dateutil-2.9.0.post0 \
        python3 data/tools/holidays_vn.py > data/holidays.csv

Fails (non-zero exit) if the generated dates differ from the reference table
the project was given (REFERENCE below).
"""
import csv
import sys
import unicodedata
from datetime import date, timedelta

import holidays
from holidays.countries.vietnam import VietnamStaticHolidays

YEARS = range(2024, 2031)
VER = holidays.__version__
BLLD = "Bộ luật Lao động 2019 Điều 112"
BLLD_BU = "Bộ luật Lao động 2019 Điều 111 khoản 3, Điều 112"
PROJECTED = f"holidays {VER} (PyPI), Bộ luật Lao động 2019 Điều 112; dự kiến"

# Reference table given to the project: year -> (days off, swapped working Saturdays).
def _rng(a, b):
    a, b = date.fromisoformat(a), date.fromisoformat(b)
    return {a + timedelta(n) for n in range((b - a).days + 1)}

def _d(*s):
    return {date.fromisoformat(x) for x in s}

REFERENCE = {
    2024: (_rng("2024-02-08", "2024-02-14") | _d("2024-04-18", "2024-01-01", "2024-04-29", "2024-04-30",
           "2024-05-01", "2024-09-02", "2024-09-03"), _d("2024-05-04")),
    2025: (_rng("2025-01-27", "2025-02-01") | _d("2025-04-07", "2025-01-01", "2025-04-30", "2025-05-01",
           "2025-05-02", "2025-09-01", "2025-09-02"), _d("2025-04-26")),
    2026: (_rng("2026-02-16", "2026-02-20") | _d("2026-04-26", "2026-04-27", "2026-01-01", "2026-04-30",
           "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02", "2026-11-24"), _d("2026-08-22")),
    2027: (_rng("2027-02-04", "2027-02-10") | _d("2027-04-16", "2027-01-01", "2027-04-30", "2027-05-01",
           "2027-05-03", "2027-09-02", "2027-09-03", "2027-11-24"), set()),
    2028: (_rng("2028-01-24", "2028-01-29") | _d("2028-04-04", "2028-01-01", "2028-01-03", "2028-04-30",
           "2028-05-02", "2028-05-01", "2028-09-01", "2028-09-02", "2028-09-04", "2028-11-24"), set()),
    2029: (_rng("2029-02-12", "2029-02-16") | _d("2029-04-23", "2029-01-01", "2029-04-30", "2029-05-01",
           "2029-09-02", "2029-09-03", "2029-09-04", "2029-11-24", "2029-11-26"), set()),
    2030: (_rng("2030-01-31", "2030-02-06") | _d("2030-04-12", "2030-01-01", "2030-04-30", "2030-05-01",
           "2030-09-02", "2030-09-03", "2030-11-24", "2030-11-25"), set()),
}

# Vietnamese holiday name (holidays' `vi` locale) -> (name_vi, name_en).
NAMES = {
    "Tết Dương lịch": ("Tết Dương lịch", "New Year's Day"),
    "Giao thừa Tết Nguyên Đán": ("Tết Nguyên Đán (Giao thừa)", "Lunar New Year (New Year's Eve)"),
    "Tết Nguyên Đán": ("Tết Nguyên Đán (Mùng 1)", "Lunar New Year (Day 1)"),
    "Mùng hai Tết Nguyên Đán": ("Tết Nguyên Đán (Mùng 2)", "Lunar New Year (Day 2)"),
    "Mùng ba Tết Nguyên Đán": ("Tết Nguyên Đán (Mùng 3)", "Lunar New Year (Day 3)"),
    "Mùng bốn Tết Nguyên Đán": ("Tết Nguyên Đán (Mùng 4)", "Lunar New Year (Day 4)"),
    "Ngày Giỗ Tổ Hùng Vương": ("Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration Day"),
    "Ngày Chiến thắng": ("Ngày Chiến thắng", "Reunification Day"),
    "Ngày Quốc tế Lao động": ("Ngày Quốc tế Lao động", "International Labour Day"),
    "Quốc khánh": ("Quốc khánh", "National Day"),
    "Ngày Văn hóa Việt Nam": ("Ngày Văn hóa Việt Nam", "Vietnam Culture Day"),
}
# Extra Tết days added by holidays as compensation for Tết days on Sat/Sun
# (holidays labels them "29 Tết"/"Mùng năm..." by offset, which is not always
# the true lunar day, so we name them neutrally).
TET_EXTRA = {"29 Tết", "Mùng năm Tết Nguyên Đán", "Mùng sáu Tết Nguyên Đán"}
VI_WD = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]


def source_for(d, base):
    y = d.year
    if y >= 2027:
        if base == "Ngày Văn hóa Việt Nam":
            return f"holidays {VER} (PyPI), Nghị quyết 80-NQ/TW; dự kiến"
        return PROJECTED
    if base == "Ngày Văn hóa Việt Nam":
        return f"Nghị quyết 80-NQ/TW; holidays {VER} (PyPI)"
    if y == 2025 and base == "tet":
        return f"{BLLD}; Thông báo 6150/TB-BLĐTBXH (2024)"
    return BLLD


def main():
    vi = holidays.Vietnam(years=YEARS, language="vi")
    rows = {}
    # Swapped days (day off on a weekday <-> working Saturday), from the package's static table.
    swaps = {}
    for y, spec in VietnamStaticHolidays.special_public_holidays.items():
        for s in (spec if isinstance(spec[0], tuple) else (spec,)):
            off = date(y, s[0], s[1])
            work = date(s[4] if len(s) > 4 else y, s[2], s[3])
            if off.year in YEARS:
                swaps[off] = work
    swap_src = {
        2024: "Công văn 2450/VPCP-KGVX (2024)",
        2025: f"holidays {VER} (PyPI); hoán đổi ngày làm việc dịp 30/4–1/5/2025",
        2026: f"holidays {VER} (PyPI); hoán đổi ngày làm việc dịp Quốc khánh 2026",
    }
    for d, raw in sorted(vi.items()):
        if d in swaps:
            w = swaps[d]
            assert w.weekday() == 5, w
            src = swap_src[d.year]
            rows[d] = ("off", f"Ngày nghỉ hoán đổi (làm bù thứ Bảy {w:%d/%m/%Y})",
                       f"Swapped day off (worked on Saturday {w.isoformat()})", src)
            rows[w] = ("workday", f"Làm bù (cho ngày nghỉ {VI_WD[d.weekday()]} {d:%d/%m/%Y})",
                       f"Make-up working Saturday (for day off {d.isoformat()})", src)
            continue
        if raw in TET_EXTRA:
            rows[d] = ("off", "Tết Nguyên Đán (nghỉ bù)", "Lunar New Year (compensatory day off)",
                       source_for(d, "tet") if d.year >= 2027 else
                       (source_for(d, "tet").replace(BLLD, BLLD_BU)))
            continue
        observed = raw.endswith(" (nghỉ bù)")
        base = raw.removesuffix(" (nghỉ bù)")
        nvi, nen = NAMES[base]
        src = source_for(d, "tet" if "Tết Nguyên Đán" in base else base)
        if observed:
            nvi, nen = f"{nvi} (nghỉ bù)", f"{nen} (compensatory day off)"
            if d.year < 2027:
                src = src.replace(BLLD, BLLD_BU)
        rows[d] = ("off", nvi, nen, src)

    # Cross-check against the reference table.
    bad = False
    for y in YEARS:
        off = {d for d, r in rows.items() if d.year == y and r[0] == "off"}
        work = {d for d, r in rows.items() if d.year == y and r[0] == "workday"}
        ref_off, ref_work = REFERENCE[y]
        if off != ref_off or work != ref_work:
            bad = True
            print(f"{y}: off only-generated={sorted(off - ref_off)} only-reference={sorted(ref_off - off)}; "
                  f"workday only-generated={sorted(work - ref_work)} only-reference={sorted(ref_work - work)}",
                  file=sys.stderr)
    if bad:
        sys.exit("generated dates differ from the reference table")

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["date", "kind", "name_vi", "name_en", "source"])
    for d in sorted(rows):
        w.writerow([d.isoformat()] + [unicodedata.normalize("NFC", x) for x in rows[d]])


if __name__ == "__main__":
    main()
