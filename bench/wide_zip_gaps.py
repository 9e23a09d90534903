#!/usr/bin/env python3
"""Wide gaps between a ZIP's candidate rates (issue 19; docs/rules.md section 5, "Plain-named
ZIPs at two special rates"): the ZIPs of the shipped ZIP table whose region (outside California)
the table also prices at a special rate more than 2 percentage points lower, with the same
state, county and city rates -- e.g. AZ APACHE 86502 at 12.1 % (the Navajo Nation's 6 % in the
special column) against the county's 6.1 % on 85920 -- and the ZIPs of a region named after tribal
land (UT NAVAJO NATION 84512 at 12.35 %) whose county's own rows (SAN JUAN 6.35 %, by the
ZIP-county crosswalk) have the same shape and a rate more than 2 points lower -- or, a tribal row
with neither county nor city rate (NM NAVAJO NATION RESERVATION 87420 at 10.875 %: state + the
Navajo Nation's 6 %), the county's rows with a county rate and no city rate (SAN JUAN 6.5 %).

The table is scanned here (exact integer rates, scaled by 10^8; no county check), then each ZIP
found is put to `levy calc` and kept when levy answers it with `ambiguous_zip` whose candidates'
`area_kind` is `higher_special_wide` / `lower_special_wide` (levy also requires the two rows to
share a county and the region to name no district: core/tax/rates.c mark_plain_specials).

usage: wide_zip_gaps.py /path/to/levy [--out bench/wide-zip-gaps.txt]
Prints the count by state; --out writes the list (state, ZIP, region, the two rates).
"""
import collections
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GAP = 2000000  # 2 percentage points, 10^-8


def rate(s):
    """A decimal fraction as an integer scaled by 10^8, without floating point."""
    whole, _, frac = s.strip().partition(".")
    frac = (frac + "0" * 8)[:8]
    return int(whole or "0") * 100000000 + int(frac)


def table_gaps():
    rows = []
    for f in sorted(glob.glob(os.path.join(ROOT, "data/us/avalara-zip5-2025-12/*.csv"))):
        with open(f, newline="") as fh:
            rows.extend(csv.DictReader(fh))
    by = collections.defaultdict(list)
    for r in rows:
        by[(r["State"], r["TaxRegionName"])].append(r)
    fips = os.path.join(ROOT, "data/us/census-fips")
    with open(os.path.join(fips, "counties-2017.csv"), newline="") as fh:
        counties = {c["county_fips"]: c["name"].upper().removesuffix(" COUNTY") for c in csv.DictReader(fh)}
    xwalk = collections.defaultdict(list)
    with open(os.path.join(fips, "zip-county-2017q2.csv"), newline="") as fh:
        for c in csv.DictReader(fh):
            xwalk[(c["state"], c["zip"])].append(c["county_fips"])
    found = []
    for r in rows:
        if r["State"] == "CA":
            continue
        sp = rate(r["EstimatedSpecialRate"])
        if sp <= 0:
            continue
        key = (rate(r["StateRate"]), rate(r["EstimatedCountyRate"]), rate(r["EstimatedCityRate"]))
        low = None
        for m in by[(r["State"], r["TaxRegionName"])]:
            mk = (rate(m["StateRate"]), rate(m["EstimatedCountyRate"]), rate(m["EstimatedCityRate"]))
            ms = rate(m["EstimatedSpecialRate"])
            if mk == key and ms < sp and (low is None or ms < rate(low["EstimatedSpecialRate"])):
                low = m
        if low is None and tribal(r["TaxRegionName"]):
            # tribal land named as its own region: the county's own rows of the same shape
            for fips in xwalk.get((r["State"], r["ZipCode"]), ()):
                for m in by[(r["State"], counties.get(fips, ""))]:
                    mk = (rate(m["StateRate"]), rate(m["EstimatedCountyRate"]), rate(m["EstimatedCityRate"]))
                    ms = rate(m["EstimatedSpecialRate"])
                    if mk == key and ms < sp and (low is None or ms < rate(low["EstimatedSpecialRate"])):
                        low = m
        if low is None and tribal(r["TaxRegionName"]) and key[1] == 0 and key[2] == 0:
            # failing that, a tribal row with neither county nor city rate (NM NAVAJO NATION
            # RESERVATION 87420: state + the Navajo Nation's 6 %) against the county's rows with a
            # county rate and no city rate (SAN JUAN 6.5 %)
            for fips in xwalk.get((r["State"], r["ZipCode"]), ()):
                for m in by[(r["State"], counties.get(fips, ""))]:
                    mk = (rate(m["StateRate"]), rate(m["EstimatedCountyRate"]), rate(m["EstimatedCityRate"]))
                    ms = rate(m["EstimatedSpecialRate"])
                    if mk[0] == key[0] and mk[1] > 0 and mk[2] == 0 and ms < sp and (
                            low is None or ms < rate(low["EstimatedSpecialRate"])):
                        low = m
        if low is not None and sp - rate(low["EstimatedSpecialRate"]) > GAP:
            found.append((r["State"], r["ZipCode"], r["TaxRegionName"]))
    return found


def tribal(name):
    """A region named after tribal land (core/tax/rates.c tribal_name)."""
    return any(w in name.split() for w in ("NATION", "RESERVATION", "PUEBLO", "TRIBAL", "TRIBE", "INDIAN"))


def levy_answer(levy, st, zip_code):
    req = {"currency": "USD", "date": "2026-03-01",
           "ship_to": {"country": "US", "state": st, "zip_code": zip_code, "line1": "1 Main St"},
           "lines": [{"id": "1", "amount": "100.00", "tax_code": "general"}]}
    with tempfile.TemporaryDirectory() as dd:
        p = subprocess.run([levy, "calc", "--all-regions", "--data-dir", dd,
                            "--scripts", os.path.join(ROOT, "scripts"), "--data", os.path.join(ROOT, "data"),
                            "--plugins", os.path.join(ROOT, "plugins")],
                           input=json.dumps(req), capture_output=True, text=True)
    return json.loads(p.stdout)


def main():
    levy = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "levy")
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    scanned = table_gaps()
    kept = []
    for st, z, region in scanned:
        res = levy_answer(levy, st, z)
        amb = res.get("ambiguous_zip") or {}
        kinds = [c.get("area_kind") for c in amb.get("candidates", [])]
        if "higher_special_wide" in kinds:
            rates = [c["rate"] for c in amb["candidates"]]
            kept.append((st, z, region, rates[0], rates[1]))
    by_state = collections.Counter(k[0] for k in kept)
    print("%d ZIPs with a gap above 2 points in the table, %d flagged by levy: %s" % (
        len(scanned), len(kept), ", ".join("%s %d" % (s, n) for s, n in sorted(by_state.items(), key=lambda x: (-x[1], x[0])))))
    if out:
        with open(out, "w") as f:
            f.write("# ZIPs whose region the shipped ZIP table (avalara-zip5 2025-12) prices at two special rates more\n"
                    "# than 2 percentage points apart (issue 19; docs/rules.md section 5): levy answers them with\n"
                    "# ambiguous_zip (area_kind higher_special_wide / lower_special_wide), the table's rate charged.\n"
                    "# Written by `python3 bench/wide_zip_gaps.py build/levy --out bench/wide-zip-gaps.txt`.\n"
                    "# state, ZIP, region, charged rate %, the region's lower rate %\n")
            for k in kept:
                f.write("\t".join(k) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
