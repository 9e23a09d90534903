#!/usr/bin/env python3
"""An independent check of the jurisdictions levy names (issue 19, "Names that file correctly").

Every ZIP of the shipped ZIP table (data/us/avalara-zip5-2025-12) is put to `levy calc --lines`
(one load of the rules, a general-goods line of 100.00 on 2026-01-15), and each tax of the answer
is checked against the Census files in data/us/census-fips/, not against levy's own reading:

- state:  authority_code is the state's FIPS (states.csv) and the name is the state's name;
- county: authority_code is a county FIPS (counties-2017.csv) that the HUD ZIP-county crosswalk
  (zip-county-2017q2.csv) puts the ZIP in, and the name is that county's Census name (a
  name without the Census description -- "LOS ANGELES" for Los Angeles County -- is accepted);
- city:   authority_code is a Census place or county subdivision (places-2010.csv) whose
  counties include one of the ZIP's counties and whose name is the jurisdiction's name, or, in
  Virginia, an independent city's county-equivalent FIPS in the crosswalk (Richmond city 51760);
- any level: a name carrying another level's word (a "COUNTY" at city level, "(SPECIAL)" at
  county level) is flagged.

A district (level `district`) has no FIPS code: its flags are counted separately ("district
without code"), not listed one by one. A ZIP the answer does not place (no taxes, e.g. Alaska
without a borough tax, or a US territory) is skipped.

usage: name_checks.py [/path/to/levy] [--states NY,VT] [--out bench/name-flags.txt]
Prints the counts by check, split into the flags levy's answer already doubts (the tax carries a
`jurisdiction_note`: "noted") and the ones it states without doubt ("SILENT": the ones to review
first), and the flags grouped by (state, level, name, code) with their ZIPs; exit 0 (a report,
not a test).
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
FIPS = os.path.join(ROOT, "data/us/census-fips")


def load_census():
    states, counties, xwalk, places = {}, {}, collections.defaultdict(set), {}
    with open(os.path.join(FIPS, "states.csv"), newline="") as fh:
        for r in csv.DictReader(fh):
            states[r["state"]] = (r["state_fips"], r["name"].upper())
    with open(os.path.join(FIPS, "counties-2017.csv"), newline="") as fh:
        for r in csv.DictReader(fh):
            counties[r["county_fips"]] = r["name"].upper()
    with open(os.path.join(FIPS, "zip-county-2017q2.csv"), newline="") as fh:
        for r in csv.DictReader(fh):
            xwalk[(r["state"], r["zip"])].add(r["county_fips"])
    with open(os.path.join(FIPS, "places-2010.csv"), newline="") as fh:
        for r in csv.DictReader(fh):
            places[r["place_fips"]] = (r["name"].upper(), r["key"], set(c.upper() for c in r["counties"].split(";") if c))
    return states, counties, xwalk, places


def table_zips(only):
    zips = []
    for f in sorted(glob.glob(os.path.join(ROOT, "data/us/avalara-zip5-2025-12/*.csv"))):
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                if not only or r["State"] in only:
                    zips.append((r["State"], r["ZipCode"], r["TaxRegionName"]))
    return zips


def ask(levy, zips):
    reqs = []
    for st, z, _ in zips:
        reqs.append(json.dumps({"currency": "USD", "date": "2026-01-15",
                                "ship_to": {"country": "US", "state": st, "zip_code": z, "line1": "1 Main St"},
                                "lines": [{"id": "1", "amount": "100.00", "tax_code": "general"}]}))
    with tempfile.TemporaryDirectory() as dd:
        p = subprocess.run([levy, "calc", "--lines", "--all-regions", "--data-dir", dd,
                            "--scripts", os.path.join(ROOT, "scripts"), "--data", os.path.join(ROOT, "data"),
                            "--plugins", os.path.join(ROOT, "plugins")],
                           input="\n".join(reqs) + "\n", capture_output=True, text=True)
    out = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if len(out) != len(zips):
        sys.exit("levy answered %d of %d requests: %s" % (len(out), len(zips), p.stderr[-2000:]))
    return out


def key(name):
    """A name as levy keys places (core/tax/rates.c place_key), accents folded: upper case,
    `.` `-` `,` as spaces, `'` dropped, SAINT as ST ("St. Johns" = "SAINT JOHNS" = "ST JOHNS")."""
    import unicodedata
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    for c in ".-,":
        s = s.replace(c, " ")
    s = s.replace("'", "")
    return " ".join("ST" if w in ("SAINT", "STE") else w for w in s.split())


def bare(name):
    """A Census county name without its description (Erie County -> ERIE)."""
    for suf in (" COUNTY", " PARISH", " BOROUGH", " CITY AND BOROUGH", " CENSUS AREA", " MUNICIPALITY", " CITY"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


def check(st, z, tax, census):
    states, counties, xwalk, places = census
    level, name, code = tax["level"], tax["jurisdiction"], tax.get("authority_code")
    zc = xwalk.get((st, z), set())
    if level == "district":
        if any(w in name.split() for w in ("COUNTY", "PARISH")) and "(SPECIAL)" not in name and "DISTRICT" not in name \
                and "TRANSIT" not in name and "AUTHORITY" not in name:
            return "district named like a county"
        return None if code else "district without code"
    if not code:
        return "no authority code"
    if level == "state":
        fips, sname = states.get(st, ("", ""))
        if code != fips:
            return "state code is not the state's FIPS"
        if name != sname:
            return "state name is not the state's name"
        return None
    if level == "county":
        if len(code) != 5 or code not in counties:
            return "county code is not a Census county"
        if zc and code not in zc:
            return "county is not one of the ZIP's counties (HUD crosswalk)"
        cname = counties[code]
        if key(name) != key(cname) and key(name) != key(bare(cname)):
            return "county name is not the Census name of its code"
        return None
    if level == "city":
        if "(SPECIAL)" in name or name.endswith(" COUNTY"):
            return "city named like a district or county"
        if len(code) == 5:  # an independent city (VA, MO St. Louis, MD Baltimore) by its county FIPS
            if code not in counties:
                return "city code is not a Census county-equivalent"
            if zc and code not in zc:
                return "independent city is not one of the ZIP's county-equivalents"
            cn = counties[code]
            if key(name) not in (key(cn), key(bare(cn))) and key(name + " CITY") != key(cn):
                return "city name is not the Census name of its code"
            return None
        p = places.get(code)
        if p is None:
            return "city code is not a Census place"
        pname, pkey, pcounties = p
        if key(name) != key(pkey) and key(name) != key(pname):
            return "city name is not the Census name of its code"
        if zc and not ({counties.get(c, "") for c in zc} & pcounties):
            return "place is in none of the ZIP's counties"
        return None
    return "unknown level " + level


def main():
    args = sys.argv[1:]
    out = args[args.index("--out") + 1] if "--out" in args else None
    only = set(args[args.index("--states") + 1].split(",")) if "--states" in args else set()
    pos = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--out", "--states"))]
    levy = pos[0] if pos else os.path.join(ROOT, "build", "levy")
    census = load_census()
    zips = table_zips(only)
    answers = ask(levy, zips)
    flags = collections.defaultdict(list)
    counts = collections.Counter()
    checked = 0
    for (st, z, region), res in zip(zips, answers):
        if "error" in res:
            counts["error: " + res["error"].get("code", "?")] += 1
            continue
        for tax in res["lines"][0]["taxes"]:
            checked += 1
            why = check(st, z, tax, census)
            if why:
                # levy's own doubt: a jurisdiction_note (county not established, the county
                # whose rate the row carries, a city named by the region alone...)
                said = "noted" if tax.get("jurisdiction_note") else "SILENT"
                counts[(why, said)] += 1
                if why != "district without code":
                    flags[(said, st, tax["level"], tax["jurisdiction"], tax.get("authority_code") or "-", why)].append(
                        (z, region))
    print("%d ZIPs, %d taxes checked" % (len(zips), checked))
    for (why, said), n in counts.most_common():
        print("  %6d  %-6s  %s" % (n, said, why))
    lines = []
    for (said, st, level, name, code, why), zs in sorted(flags.items()):
        regions = sorted({r for _, r in zs})
        lines.append("%s\t%s\t%s\t%s\t%s\t%s\t%d ZIPs: %s\tregions: %s" % (
            said, st, level, name, code, why, len(zs), " ".join(z for z, _ in zs[:8]) + (" ..." if len(zs) > 8 else ""),
            "; ".join(regions[:4]) + (" ..." if len(regions) > 4 else "")))
    print("%d flagged jurisdictions (district without code not listed)" % len(lines))
    if out:
        with open(out, "w") as f:
            f.write("# Jurisdictions levy names that the Census files do not confirm (issue 19; bench/name_checks.py).\n"
                    "# Written by `python3 bench/name_checks.py build/levy --out bench/name-flags.txt`.\n"
                    "# SILENT (no jurisdiction_note in levy's answer) or noted, state, level, name, authority_code,\n"
                    "# check, ZIPs, the ZIP table's regions\n")
            f.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
