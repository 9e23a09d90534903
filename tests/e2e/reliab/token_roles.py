#!/usr/bin/env python3
"""Issue 20 (tokens23): token roles, named tokens on the Sphere drop-in, the audit log's people.

Usage: token_roles.py LEVY_BINARY SOURCE_DIR [BASE_PORT=47500]

The bug stories: any full named token could create and revoke tokens, so a leaked token's
creations outlived its revocation; a named token was refused by the Sphere drop-in
(POST /tax_api/calculate_tax) that takes the API token in X-API-KEY; the Activity page's Person
picker listed live tokens only, so a revoked person's rows were reachable only by ?person=.

One levy serve (no simulator). Checks:
  * roles: POST /v1/tokens {"role": "admin" | "full" | "read_only"} (201, the role in the answer,
    in GET /v1/tokens and in the token.created audit row); a bad role, or read_only: true with
    another role, 422; a full token (and its UI session) creating or revoking a token: 403
    admin_required, nothing made; an admin token, its UI session, and a UI session of the API
    token may; the configured API token may;
  * revoking an admin token answers 200 with the tokens it made (through its UI session too),
    live ones with revoked_at null, so the admin can review them; they keep working until
    revoked themselves;
  * the CLI: `levy token create --admin` makes an admin token (`levy token list` says admin),
    `--admin --read-only` is a usage error (exit 2), `levy token revoke` lists what it made;
  * the Sphere drop-in: a full and an admin named token in X-API-KEY calculate (200, the same
    tax as the API token), the token's last use stamped in GET /v1/tokens; a read-only one 403
    read_only; a revoked one, a UI session token, a made-up lvt_ token 401;
  * GET /v1/audit/people: every person of the audit log, a revoked one marked "revoked", live
    tokens with their role, sorted by name; any token (read-only too) may read it; 401 without;
  * roexport24: a read-only token and its UI session start the documents export (202, audited
    export.started with the person), download its part, and calculate (POST /v1/calculate,
    the API token's answer); a setting, the sums' rebuild, the Sphere key stay 403 read_only.
Runs on SQLite and, through tests/pg/run_on_pg.py, on PostgreSQL (reliab_token_roles_pg).
"""
import os
import subprocess
import sys
import urllib.parse

import common
import harness
from common import check

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 47500
SPHERE = {"currency": "usd", "customer_address": {"address1": "2000 Main St", "city": "Irvine", "state": "CA",
                                                  "postal_code": "92614", "country": "US"},
          "line_items": [{"id": "li_1", "amount": 10000}]}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-roles-", BASE_PORT)
    with common.running(env):
        if check("levy starts", env.start_levy()):
            run(env)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def cli(env, *args):
    e = dict(os.environ)
    if env.pg_url:
        e["LEVY_DATABASE_URL"] = env.pg_url
    p = subprocess.run([LEVY, "token"] + list(args) + ["--data-dir", env.levy_dir], env=e,
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=harness.pdeathsig_preexec())
    return p.returncode, p.stdout, p.stderr


def make(env, cred, body):
    st, js, text, _ = harness.req("POST", env.levy_url + "/v1/tokens", body, bearer(cred))
    return st, js or {}, text


def session_of(env, tok):
    st, js, text, _ = harness.req("POST", env.levy_url + "/v1/session", {"api_token": tok})
    return (js or {}).get("session_token", "lvs_x") if st == 201 else "lvs_x"


def tokens(env):
    st, js, text, _ = harness.req("GET", env.levy_url + "/v1/tokens", None, bearer(env.token))
    return {t["name"]: t for t in (js or {}).get("tokens", [])}


def run(env):
    L = env.levy_url
    # -- roles through the API
    toks = {}
    # Fred and Shop as before roles (no role given: full), Gus full by name
    for name, body in (("Ada", {"name": "Ada", "role": "admin"}), ("Fred", {"name": "Fred"}),
                       ("Gus", {"name": "Gus", "role": "full"}), ("Rita", {"name": "Rita", "role": "read_only"}),
                       ("Shop", {"name": "Shop"})):
        st, js, text = make(env, env.token, body)
        want = body.get("role", "full")
        check("POST /v1/tokens %s as %s: 201, role %s" % (name, want, want),
              st == 201 and js.get("role") == want and js.get("read_only") is (want == "read_only"),
              "%s %s" % (st, text))
        toks[name] = js.get("token", "lvt_" + "x" * 43)
    for body, what in (({"name": "X", "role": "root"}, "an unknown role"), ({"name": "X", "role": 1}, "a number"),
                       ({"name": "X", "role": "admin", "read_only": True}, "read_only with role admin")):
        st, js, text = make(env, env.token, body)
        check("POST /v1/tokens with %s: 422 validation_failed naming role" % what,
              st == 422 and js.get("error", {}).get("code") == "validation_failed" and "role" in text,
              "%s %s" % (st, text))
    st, js, text = make(env, env.token, {"name": "Ro2", "role": "read_only", "read_only": True})
    check("role read_only with read_only: true agrees: 201", st == 201 and js.get("role") == "read_only",
          "%s %s" % (st, text))
    listed = tokens(env)
    check("GET /v1/tokens says each token's role",
          {n: t.get("role") for n, t in listed.items()} ==
          {"Ada": "admin", "Fred": "full", "Gus": "full", "Rita": "read_only", "Shop": "full", "Ro2": "read_only"},
          listed)
    st, js, text, _ = harness.req("GET", L + "/v1/audit?action=token.created&object_id=Ada", None, bearer(env.token))
    rows = (js or {}).get("data", [])
    check("the token.created row audits the role (admin)",
          len(rows) == 1 and rows[0]["changes"].get("role") == {"before": None, "after": "admin"}, rows)

    # -- a full token (and its UI session) may not create nor revoke tokens
    fsess = session_of(env, toks["Fred"])
    for cred, who in ((toks["Fred"], "Fred's full token"), (fsess, "a UI session of Fred's full token"),
                      (toks["Gus"], "Gus's full token")):
        st, js, text = make(env, cred, {"name": "Backdoor"})
        check("%s creating a token: 403 admin_required" % who,
              st == 403 and js.get("error", {}).get("code") == "admin_required", "%s %s" % (st, text))
        st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Rita", None, bearer(cred))
        check("%s revoking a token: 403 admin_required" % who,
              st == 403 and (js or {}).get("error", {}).get("code") == "admin_required", "%s %s" % (st, text))
    check("nothing was made nor revoked by the full token",
          "Backdoor" not in tokens(env) and "Rita" in tokens(env), tokens(env))
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True},
                                 bearer(toks["Fred"]))
    check("the full token changes everything else: PUT /v1/regions/US-CA 200", st == 200, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/tokens", None, bearer(toks["Fred"]))
    check("the full token may list the tokens: GET /v1/tokens 200", st == 200, "%s %s" % (st, text))

    # -- an admin token and its UI session may; so may a UI session of the API token
    st, js, text = make(env, toks["Ada"], {"name": "Mallory"})
    check("Ada's admin token creates Mallory: 201, created_by Ada's token",
          st == 201 and js.get("created_by") == "Ada's token", "%s %s" % (st, text))
    toks["Mallory"] = js.get("token", "x")
    asess = session_of(env, toks["Ada"])
    st, js, text = make(env, asess, {"name": "Sam", "role": "read_only"})
    check("Ada's UI session creates Sam: 201", st == 201 and js.get("created_by", "").startswith("UI session of Ada "),
          "%s %s" % (st, text))
    st, js, text = make(env, toks["Ada"], {"name": "Temp"})
    st2, js2, text2, _ = harness.req("DELETE", L + "/v1/tokens/Temp", None, bearer(asess))
    check("Ada's UI session revokes Temp (that Ada made): 200",
          st == 201 and st2 == 200 and (js2 or {}).get("name") == "Temp", "%s %s / %s %s" % (st, text, st2, text2))
    apisess = session_of(env, env.token)
    st, js, text = make(env, apisess, {"name": "Viaui"})
    check("a UI session of the API token creates a token: 201", st == 201, "%s %s" % (st, text))
    st, js2, text2, _ = harness.req("DELETE", L + "/v1/tokens/Viaui", None, bearer(apisess))
    check("... and revokes it: 200, it made no token",
          st == 200 and js2 and js2.get("created_tokens") == [], "%s" % text2)

    # -- revoking Ada answers what she made; those tokens keep working until revoked
    st, js, text, hd = harness.req("DELETE", L + "/v1/tokens/Ada", None, bearer(env.token))
    made = {t["name"]: t for t in (js or {}).get("created_tokens", [])}
    check("DELETE /v1/tokens/Ada: 200 naming the tokens she made (Mallory, Sam live; Temp revoked)",
          st == 200 and js.get("name") == "Ada" and js.get("revoked_at") and js.get("revoked_by") == "API token"
          and sorted(made) == ["Mallory", "Sam", "Temp"]
          and made["Mallory"]["revoked_at"] is None and made["Mallory"]["role"] == "full"
          and made["Sam"]["revoked_at"] is None and made["Sam"]["role"] == "read_only"
          and made["Temp"]["revoked_at"] is not None, "%s %s" % (st, text))
    check("the revocation's answer is not cached and holds no token",
          (hd or {}).get("Cache-Control") == "no-store" and toks["Mallory"] not in (text or ""), hd)
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(toks["Ada"]))
    check("Ada's token is refused at once: 401", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(toks["Mallory"]))
    check("Mallory (made by Ada) works until the admin revokes it: 200", st == 200, "%s %s" % (st, text))
    st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Mallory", None, bearer(env.token))
    check("the admin revokes Mallory after the review: 200, it made nothing",
          st == 200 and js and js.get("created_tokens") == [], "%s %s" % (st, text))

    # -- the CLI
    rc, out, err = cli(env, "create", "--name", "Ops", "--admin")
    ops = out.strip()
    check("levy token create --admin: exit 0, a token", rc == 0 and ops.startswith("lvt_") and "admin" in err,
          "%s %r %r" % (rc, out, err))
    rc, out, err = cli(env, "list")
    line = [x for x in out.splitlines() if x.startswith("Ops ")]
    check("levy token list says Ops is admin and Fred full",
          line and " admin " in line[0] and any(x.startswith("Fred ") and " full " in x for x in out.splitlines()),
          out)
    st, js, text = make(env, ops, {"name": "Ci"})
    check("the CLI's admin token creates a token: 201", st == 201 and js.get("created_by") == "Ops's token",
          "%s %s" % (st, text))
    rc, out, err = cli(env, "create", "--name", "Both", "--admin", "--read-only")
    check("levy token create --admin --read-only: exit 2, one line naming levy token --help",
          rc == 2 and "levy token --help" in err and err.count("\n") == 1, "%s %r" % (rc, err))
    rc, out, err = cli(env, "list", "--admin")
    check("levy token list --admin: exit 2", rc == 2 and "levy token --help" in err, "%s %r" % (rc, err))
    rc, out, err = cli(env, "revoke", "Ops")
    check("levy token revoke Ops: exit 0, lists Ci (live) to review",
          rc == 0 and "Ci" in out and "live" in out, "%s %r %r" % (rc, out, err))
    p = subprocess.run([LEVY, "token", "--help"], capture_output=True, text=True, timeout=30)
    check("levy token --help names --admin and admin_required",
          p.returncode == 0 and "--admin" in p.stdout and "admin_required" in p.stdout, p.stdout)

    # -- the Sphere drop-in with named tokens (X-API-KEY)
    def sphere(key):
        st, js, text, _ = harness.req("POST", L + "/tax_api/calculate_tax", SPHERE, {"X-API-KEY": key})
        tax = None
        if st == 200:
            tax = sum(a["amount"] for a in js["data"]["lines"][0]["tax_amounts"])
        return st, js or {}, text, tax

    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True},
                                 bearer(env.token))
    check("US-CA subscribed (the API token)", st == 200, "%s %s" % (st, text))
    st, js, text, want = sphere(env.token)
    check("the API token calculates on the Sphere endpoint (tax > 0)", st == 200 and want and want > 0,
          "%s %s" % (st, text))
    check("Shop's token was never used yet", tokens(env)["Shop"]["last_used_at"] is None, tokens(env))
    st, js, text, tax = sphere(toks["Shop"])
    check("a full named token in X-API-KEY calculates: 200, the same tax", st == 200 and tax == want,
          "%s %s" % (st, text))
    check("its use is stamped: GET /v1/tokens last_used_at of Shop set",
          tokens(env)["Shop"]["last_used_at"] is not None, tokens(env))
    st, js, text, tax = sphere(toks["Fred"])
    check("Fred's full token calculates too: 200", st == 200 and tax == want, "%s %s" % (st, text))
    rc, out, err = cli(env, "create", "--name", "Boss", "--admin")
    toks["Boss"] = out.strip()
    st, js, text, tax = sphere(out.strip())
    check("an admin named token calculates: 200", st == 200 and tax == want, "%s %s" % (st, text))
    st, js, text, _ = sphere(toks["Rita"])
    check("a read-only named token: 403 read_only (a POST)",
          st == 403 and js.get("type") == "api_error" and js.get("code") == "read_only", "%s %s" % (st, text))
    for key, what in ((toks["Ada"], "a revoked token"), (fsess, "a UI session token"),
                      ("lvt_" + "A" * 43, "a made-up lvt_ token"), (toks["Shop"][:-1], "a token cut by one")):
        st, js, text, _ = sphere(key)
        check("%s in X-API-KEY: 401 unauthorized_access" % what,
              st == 401 and js.get("code") == "unauthorized_access", "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/tax_api/calculate_tax", SPHERE, bearer(toks["Shop"]))
    check("a named token as Bearer (not X-API-KEY) does not open the Sphere endpoint: 401", st == 401,
          "%s %s" % (st, text))

    # -- the audit log's people: revoked ones listed and marked
    st, _, text, _ = harness.req("GET", L + "/v1/audit/people")
    check("GET /v1/audit/people without a bearer: 401", st == 401, "%s %s" % (st, text))
    st, js, text, hd = harness.req("GET", L + "/v1/audit/people", None, bearer(toks["Rita"]))
    people = {p["name"]: p for p in (js or {}).get("people", [])}
    check("GET /v1/audit/people (a read-only token may): 200, sorted by name, not truncated",
          st == 200 and [p["name"] for p in js["people"]] == sorted(people) and js.get("truncated") is False,
          "%s %s" % (st, text))
    check("Ada (revoked; her rows: tokens made and revoked) is listed as revoked",
          people.get("Ada") == {"name": "Ada", "state": "revoked", "role": None}, people)
    check("Ops (revoked, made Ci) is listed as revoked", people.get("Ops", {}).get("state") == "revoked", people)
    check("Fred (live, changed US-CA) is listed live with his role",
          people.get("Fred") == {"name": "Fred", "state": "live", "role": "full"}, people)
    check("Rita (live, no row yet) is listed live, read_only",
          people.get("Rita") == {"name": "Rita", "state": "live", "role": "read_only"}, people)
    check("Mallory (revoked, no row of her own) is not a person of the log", "Mallory" not in people, people)
    st, js, text, _ = harness.req("GET", L + "/v1/audit?person=" + urllib.parse.quote("Ada"), None,
                                  bearer(env.token))
    check("?person=Ada still lists her rows after her revocation",
          st == 200 and len(js["data"]) >= 3 and all(r["person"] == "Ada" for r in js["data"]), text)
    # a name given again after revocation is live again
    st, js, text = make(env, env.token, {"name": "Ada"})
    st2, js2, _, _ = harness.req("GET", L + "/v1/audit/people", None, bearer(env.token))
    p2 = {p["name"]: p for p in (js2 or {}).get("people", [])}
    check("Ada's name given again: listed live (full)",
          st == 201 and p2.get("Ada") == {"name": "Ada", "state": "live", "role": "full"}, p2)

    whoami(env, toks, fsess)
    read_only_reads(env, toks)
    admin_secrets(env, toks, fsess)
    secrets_outlive(env)
    refusals_collapse(env, toks)
    cascade_revoke(env)


def whoami(env, toks, fsess):
    """admin23: GET /v1/me says who the request is (kind, the audit label, person, role,
    read_only, may) and never a token; the UI shows only what the role may do from it."""
    L = env.levy_url
    st, _, text, _ = harness.req("GET", L + "/v1/me")
    check("GET /v1/me without a bearer: 401", st == 401, "%s %s" % (st, text))
    bsess = session_of(env, toks["Boss"])
    rsess = session_of(env, toks["Rita"])
    apisess = session_of(env, env.token)
    admin_may = {"change": True, "export": True, "calculate": True, "secrets": True, "manage_tokens": True}
    full_may = {"change": True, "export": True, "calculate": True, "secrets": False, "manage_tokens": False}
    ro_may = {"change": False, "export": True, "calculate": True, "secrets": False, "manage_tokens": False}
    cases = (
        (env.token, "the API token", {"kind": "api_token", "actor": "API token", "person": None, "role": "admin",
                                      "read_only": False, "may": admin_may}),
        (apisess, "a UI session of the API token", {"kind": "ui_session", "person": None, "role": "admin",
                                                    "read_only": False, "may": admin_may}),
        (toks["Boss"], "Boss's admin token", {"kind": "named_token", "actor": "Boss's token", "person": "Boss",
                                              "role": "admin", "read_only": False, "may": admin_may}),
        (bsess, "a UI session of Boss's admin token", {"kind": "ui_session", "person": "Boss", "role": "admin",
                                                       "read_only": False, "may": admin_may}),
        (toks["Fred"], "Fred's full token", {"kind": "named_token", "actor": "Fred's token", "person": "Fred",
                                             "role": "full", "read_only": False, "may": full_may}),
        (fsess, "a UI session of Fred's full token", {"kind": "ui_session", "person": "Fred", "role": "full",
                                                      "read_only": False, "may": full_may}),
        (toks["Rita"], "Rita's read-only token", {"kind": "named_token", "actor": "Rita's token", "person": "Rita",
                                                  "role": "read_only", "read_only": True, "may": ro_may}),
        (rsess, "a UI session of Rita's read-only token", {"kind": "ui_session", "person": "Rita",
                                                           "role": "read_only", "read_only": True, "may": ro_may}),
    )
    for cred, what, want in cases:
        st, js, text, hd = harness.req("GET", L + "/v1/me", None, bearer(cred))
        js = js or {}
        got = {k: js.get(k) for k in want}
        check("GET /v1/me as %s: 200 %s" % (what, want), st == 200 and got == want, "%s %s" % (st, text))
        secrets = [t for t in list(toks.values()) + [env.token, cred] if t and len(t) > 8]
        check("... holds no token and is not cached (%s)" % what,
              not any(t in (text or "") for t in secrets) and (hd or {}).get("Cache-Control") == "no-store",
              "%s %s" % (hd, text))
    st, js, text, _ = harness.req("GET", L + "/v1/me", None, bearer(fsess))
    check("a UI session's actor is its audit label, 8 hex digits of its hash",
          st == 200 and js["actor"].startswith("UI session of Fred ") and len(js["actor"].split()[-1]) == 8,
          "%s %s" % (st, text))


CALC = {"currency": "USD", "date": "2026-03-01",
        "ship_to": {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"},
        "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}


def read_only_reads(env, toks):
    """roexport24: an auditor's read-only token (and its UI session) reads the books without
    changing them: it starts the documents export (CSV and ndjson; audited as export.started
    with its name), downloads its parts, and calculates (the same answer as the API token's);
    every other write stays 403 read_only (a setting, the kept sums' rebuild, the Sphere key).
    Before, both POSTs were 403 read_only."""
    L = env.levy_url
    rita, rsess = toks["Rita"], session_of(env, toks["Rita"])
    st0, js0, text0, _ = harness.req("POST", L + "/v1/calculate", CALC, bearer(env.token))
    check("the API token calculates: 200", st0 == 200 and "total_tax" in (js0 or {}), "%s %s" % (st0, text0))
    for cred, who in ((rita, "Rita's read-only token"), (rsess, "a UI session of Rita's read-only token")):
        st, js, text, _ = harness.req("POST", L + "/v1/calculate", CALC, bearer(cred))
        check("%s calculates: 200, the API token's answer" % who,
              st == 200 and (js or {}).get("total_tax") == js0.get("total_tax")
              and (js or {}).get("lines") == js0.get("lines"), "%s %s" % (st, text))
    for fmt, cred, who in (("csv", rita, "Rita's read-only token"),
                           ("ndjson", rsess, "a UI session of Rita's read-only token")):
        st, js, text, hd = harness.req("POST", L + "/v1/reports/filing/exports",
                                       {"from": "2026-01-01", "to": "2026-12-31", "format": fmt}, bearer(cred))
        ok = check("%s starts a %s documents export: 202" % (who, fmt),
                   st == 202 and (js or {}).get("id", "").startswith("exp_")
                   and (hd or {}).get("Location") == "/v1/reports/filing/exports/" + js["id"], "%s %s" % (st, text))
        if not ok:
            continue
        xid, seen = js["id"], {}

        def done():
            s2, j2, _, _ = harness.req("GET", L + "/v1/reports/filing/exports/" + xid, None, bearer(cred))
            seen["x"] = j2
            return s2 == 200 and j2.get("state") == "done"
        check("... the export finishes (state done)", common.wait_for(done, 120), seen.get("x"))
        urls = (seen.get("x") or {}).get("part_urls") or []
        st, _, text, hd = harness.req("GET", L + urls[0], None, bearer(cred)) if urls else (None, None, "", {})
        check("... %s downloads part 1: 200%s" % (who, ", the CSV header" if fmt == "csv" else ""),
              st == 200 and (fmt != "csv" or text.startswith("type,id,number,date,")),
              "%s %r" % (st, (text or "")[:200]))
        rows = [r for r in common_audit(env, "action=export.started") if r.get("object_id") == xid]
        check("... audited: export.started by %s" % who,
              len(rows) == 1 and rows[0]["person"] == "Rita"
              and rows[0]["actor_kind"] == ("named_token" if cred == rita else "ui_session"), rows)
        # issue 20 #3: the export's row says who started it (before: no creator in the answer)
        st, lst, text, _ = harness.req("GET", L + "/v1/reports/filing/exports", None, bearer(env.token))
        mine = [x for x in (lst or {}).get("data", []) if x.get("id") == xid]
        check("... GET /v1/reports/filing/exports names who started it: %s, person Rita" % who,
              st == 200 and len(mine) == 1 and mine[0].get("created_by_person") == "Rita"
              and mine[0].get("created_by") == (rows[0]["actor"] if rows else None)
              and (seen.get("x") or {}).get("created_by") == mine[0].get("created_by"), mine)
    for method, path, body in (("PUT", "/v1/settings", {"rounding": "line"}),
                               ("POST", "/v1/reports/filing/sums/rebuild", None),
                               ("POST", "/v1/sphere-api-key", None),
                               ("POST", "/tax_api/calculate_tax", SPHERE)):
        for cred, who in ((rita, "Rita's token"), (rsess, "Rita's UI session")):
            st, js, text, _ = harness.req(method, L + path, body, bearer(cred))
            check("%s: %s %s still 403 read_only" % (who, method, path),
                  st == 403 and (js or {}).get("error", {}).get("code") == "read_only", "%s %s" % (st, text))


def common_audit(env, q):
    st, js, text, _ = harness.req("GET", env.levy_url + "/v1/audit?" + q + "&limit=500", None, bearer(env.token))
    return js.get("data", []) if st == 200 else []


def admin_secrets(env, toks, fsess):
    """admin23: creating or rotating the Sphere key and setting or re-entering a Rillet API key or
    signing token are an admin's: a full token's would outlive its revocation. Before, a full
    token's POST /v1/sphere-api-key was 201 and its connection secrets were taken."""
    L = env.levy_url

    def audited():
        st, js, text, _ = harness.req("GET", L + "/v1/audit?action=access.refused&limit=500", None,
                                      bearer(env.token))
        return st, (js or {}).get("data", []), text

    _, before, _ = audited()
    st, js, text, _ = harness.req("GET", L + "/v1/sphere-api-key", None, bearer(env.token))
    check("no Sphere key yet", st == 200 and js.get("configured") is False, "%s %s" % (st, text))
    routes = (("POST", "/v1/sphere-api-key", None),
              ("POST", "/v1/connections", {"provider": "rillet", "api_key": "rk_fake_000000000000"}),
              ("POST", "/v1/connections/con_nope/webhook-secret", {"signing_token": "whsec_fake_0000"}),
              ("POST", "/v1/connections/con_nope/api-key", {"api_key": "rk_fake_000000000000"}))
    for cred, who in ((toks["Fred"], "Fred's full token"), (fsess, "a UI session of Fred's full token")):
        for method, path, body in routes:
            st, js, text, _ = harness.req(method, L + path, body, bearer(cred))
            check("%s: %s %s 403 admin_required" % (who, method, path),
                  st == 403 and (js or {}).get("error", {}).get("code") == "admin_required"
                  and "only an admin may" in (js or {}).get("error", {}).get("message", ""), "%s %s" % (st, text))
    st, js, text, _ = harness.req("GET", L + "/v1/sphere-api-key", None, bearer(env.token))
    check("the full token made no Sphere key", st == 200 and js.get("configured") is False, "%s %s" % (st, text))
    st, js, text, _ = harness.req("GET", L + "/v1/connections", None, bearer(env.token))
    check("the full token made no connection", st == 200 and js.get("data") == [], "%s %s" % (st, text))
    _, rows, text = audited()
    new = [r for r in rows if r["id"] not in {b["id"] for b in before}]
    objs = [(r["actor"], r["object_id"]) for r in new]
    check("each refusal is audited (access.refused, who, the route), 8 rows",
          len(new) == 8 and all(r["object_kind"] == "route" and r["person"] == "Fred" for r in new)
          and sorted(r["object_id"] for r in new if r["actor"] == "Fred's token")
          == sorted("%s %s" % (m, p.replace("con_nope", "{id}")) for m, p, _ in routes), objs)
    check("... and the audit rows hold no token nor secret",
          not any(x in text for x in (toks["Fred"], fsess, env.token, "rk_fake", "whsec_fake")), text)
    st, js, text, _ = harness.req("POST", L + "/v1/sphere-api-key", None, bearer(toks["Rita"]))
    check("a read-only token: POST /v1/sphere-api-key 403 read_only",
          st == 403 and (js or {}).get("error", {}).get("code") == "read_only", "%s %s" % (st, text))
    # an admin passes the gate: Boss makes the key, then a full token may still remove it
    st, js, text, _ = harness.req("POST", L + "/v1/sphere-api-key", None, bearer(toks["Boss"]))
    check("Boss's admin token creates the Sphere key: 201", st == 201 and js.get("api_key"), "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/v1/connections/con_nope/webhook-secret",
                                  {"signing_token": "whsec_fake_0000"}, bearer(toks["Boss"]))
    check("Boss's admin token reaches the connection route (404 for an unknown connection, not 403)",
          st == 404, "%s %s" % (st, text))
    st, _, text, _ = harness.req("DELETE", L + "/v1/sphere-api-key", None, bearer(toks["Fred"]))
    check("a full token may still revoke the Sphere key (nothing outlives it): 204", st == 204, "%s %s" % (st, text))


def secrets_outlive(env):
    """ro23: revoking a token answers (and `levy token revoke` prints) the secrets it set, itself
    or through its UI sessions, that are still in use: the Sphere key, a connection's Rillet API
    key and webhook signing token, from the audit log (their person). One replaced since by
    someone else, or a token that set nothing still in use, lists none. Before, the answer
    named only the tokens it made, and the admin had to search the audit log for what to
    rotate."""
    L = env.levy_url
    ok = env.start_sim()
    check("the simulated Rillet starts", ok)
    if not ok:
        return
    tk = {}
    for name in ("Early", "Keyer"):
        st, js, text = make(env, env.token, {"name": name, "role": "admin"})
        check("POST /v1/tokens %s (admin): 201" % name, st == 201, "%s %s" % (st, text))
        tk[name] = js.get("token", "lvt_" + "x" * 43)
    st, js, text, _ = harness.req("POST", L + "/v1/sphere-api-key", None, bearer(tk["Early"]))
    check("Early makes the Sphere key: 201", st == 201, "%s %s" % (st, text))
    ksess = session_of(env, tk["Keyer"])

    def keyer(method, path, body=None, timeout=30):
        return harness.req(method, L + path, body, bearer(ksess), timeout=timeout)
    c = harness.connect_steps(keyer, env.S, env.key, {"CUSTOMER": ["DELETED"]})
    check("Keyer's UI session connects Rillet (API key, then the signing token): 200",
          c.secret_status == 200, "%s %s" % (c.secret_status, c.secret_text))
    st, js, text, _ = harness.req("POST", L + "/v1/sphere-api-key", None, bearer(tk["Keyer"]))
    check("Keyer replaces Early's Sphere key: 201", st == 201, "%s %s" % (st, text))
    rc, out, err = cli(env, "create", "--name", "Cli", "--admin")
    tk["Cli"] = out.strip()
    check("levy token create --name Cli --admin: exit 0", rc == 0 and tk["Cli"].startswith("lvt_"), err)
    st, js, text, _ = harness.req("POST", L + "/v1/connections/%s/api-key" % c.cid, {"api_key": env.key},
                                  bearer(tk["Cli"]))
    check("Cli re-enters the connection's Rillet API key: 200", st == 200, "%s %s" % (st, text))

    st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Early", None, bearer(env.token))
    check("revoking Early: secrets_set [] (its Sphere key was replaced by Keyer since)",
          st == 200 and (js or {}).get("secrets_set") == [], "%s %s" % (st, text))
    st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Keyer", None, bearer(env.token))
    got = sorted((x.get("secret"), x.get("object_id")) for x in (js or {}).get("secrets_set", []))
    check("revoking Keyer: secrets_set names the Sphere key and the connection's signing token "
          "(the API key Cli re-entered since is not Keyer's any more)",
          st == 200 and got == [("rillet_signing_token", c.cid), ("sphere_api_key", None)]
          and all(x.get("set_at") and x.get("label") and x.get("action") for x in js["secrets_set"]),
          "%s %s" % (st, text))
    check("... and holds no secret", env.key not in (text or "") and c.hook["signing_token"] not in (text or ""),
          text)
    rc, out, err = cli(env, "revoke", "Cli")
    check("levy token revoke Cli: names the Rillet API key of the connection to replace",
          rc == 0 and "the Rillet API key of connection " + c.cid in out and "Sphere" not in out,
          "%s %r %r" % (rc, out, err))
    st, js, text = make(env, env.token, {"name": "Keyer", "role": "admin"})
    st2, js2, text2, _ = harness.req("DELETE", L + "/v1/tokens/Keyer", None, bearer(env.token))
    check("a new token named Keyer, revoked: the old Keyer's secrets are not its own",
          st == 201 and st2 == 200 and (js2 or {}).get("secrets_set") == [], "%s %s" % (st2, text2))


def refused_metric(env, route):
    """levy_access_refused_total{route=...} from /metrics (0 when absent, None when unreadable)."""
    st, _, text, _ = harness.req("GET", env.levy_url + "/metrics", None, bearer(env.token))
    if st != 200:
        return None
    want = 'levy_access_refused_total{route="%s"} ' % route
    for line in (text or "").splitlines():
        if line.startswith(want):
            return int(float(line[len(want):]))
    return 0


def refusals_collapse(env, toks):
    """issue 20 #1: a script hammering an admin route with a full token wrote one access.refused
    row per request. Now the first 3 refusals per (actor, route) of a minute get their own row,
    the rest are counted in one summary row (written when the minute ends, or when levy stops),
    and every refusal is counted in levy_access_refused_total{route}. No timing is asserted:
    the 15 requests may straddle a window's end (then up to 6 rows of their own), but rows of
    their own plus the summaries' counts are exactly 15 once levy has stopped. Before, the 15
    requests wrote 15 rows and there was no metric."""
    route = "POST /v1/sphere-api-key"
    gus = toks["Gus"]

    def gus_rows():
        return [r for r in common_audit(env, "action=access.refused&person=Gus")
                if r["object_id"] == route and r["actor"] == "Gus's token"]
    m0 = refused_metric(env, route)
    for i in range(15):
        st, js, text, _ = harness.req("POST", env.levy_url + "/v1/sphere-api-key", None, bearer(gus))
        if st != 403:
            check("Gus's full token hammering POST /v1/sphere-api-key: 403 each", False, "%s %s" % (st, text))
            return
    m1 = refused_metric(env, route)
    check("every refusal counted in levy_access_refused_total{route=\"%s\"}: +15" % route,
          m0 is not None and m1 is not None and m1 - m0 == 15, (m0, m1))
    rows = gus_rows()
    own = [r for r in rows if "refusals" not in (r.get("changes") or {})]
    check("15 refusals in a row: at most 3 rows of their own per window (at most 2 windows), not 15",
          1 <= len(own) <= 6, [(r["at"], r["changes"]) for r in rows])
    # levy stops: the held-back count is written as one summary row per key, not lost
    harness.stop(env.levy)
    check("levy restarts", env.start_levy())
    rows = gus_rows()
    own = [r for r in rows if "refusals" not in (r.get("changes") or {})]
    summ = [r for r in rows if "refusals" in (r.get("changes") or {})]
    counted = sum(int(r["changes"]["refusals"]["after"]) for r in summ)
    check("after the stop: the rows of their own plus the summaries' counts are all 15 refusals",
          summ and len(own) + counted == 15 and all(r["object_kind"] == "route" and r["person"] == "Gus"
                                                    and r["changes"].get("role", {}).get("after") == "full"
                                                    for r in rows),
          [(r["at"], r["changes"], r["object_label"]) for r in rows])


def cascade_revoke(env):
    """issue 20 #2: an admin token's creations outlived its revocation; the answer only listed
    them. DELETE /v1/tokens/{name}?cascade=tokens (and levy token revoke NAME --with-created)
    revokes the live tokens it made in the same act, each audited token.revoked with
    revoked_with: its maker, and their UI sessions end; a token it made that was already
    revoked, and one made by someone else, are untouched; the secrets it set stay listed, never
    rotated. A cascade value other than "tokens" is 422 and revokes nothing. Before, the query
    was ignored: Kid1 kept working after Chief's revocation."""
    L = env.levy_url
    st, js, text = make(env, env.token, {"name": "Chief", "role": "admin"})
    chief = js.get("token", "x")
    kids = {}
    for name, role in (("Kid1", "full"), ("Kid2", "read_only"), ("Kid4", "full")):
        st, js, text = make(env, chief, {"name": name, "role": role})
        kids[name] = js.get("token", "x")
    csess = session_of(env, chief)
    st, js, text = make(env, csess, {"name": "Kid3"})
    kids["Kid3"] = js.get("token", "x")
    st, js, text = make(env, env.token, {"name": "Other"})
    other = js.get("token", "x")
    st2, _, _, _ = harness.req("DELETE", L + "/v1/tokens/Kid4", None, bearer(env.token))
    check("Chief (admin) made Kid1-4 (Kid3 through its UI session), Kid4 revoked since",
          all(k in tokens(env) for k in ("Kid1", "Kid2", "Kid3")) and st2 == 200, tokens(env))
    k1sess = session_of(env, kids["Kid1"])
    st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Chief?cascade=all", None, bearer(env.token))
    check("DELETE /v1/tokens/Chief?cascade=all: 422 validation_failed naming cascade, nothing revoked",
          st == 422 and (js or {}).get("error", {}).get("code") == "validation_failed" and "cascade" in text
          and "Chief" in tokens(env), "%s %s" % (st, text))
    st, js, text, _ = harness.req("DELETE", L + "/v1/tokens/Chief?cascade=tokens", None, bearer(env.token))
    made = {t["name"]: t for t in (js or {}).get("created_tokens", [])}
    check("DELETE /v1/tokens/Chief?cascade=tokens: 200, revoked_with_it Kid1-3, every token it made revoked",
          st == 200 and js.get("revoked_with_it") == ["Kid1", "Kid2", "Kid3"]
          and sorted(made) == ["Kid1", "Kid2", "Kid3", "Kid4"]
          and all(t["revoked_at"] for t in made.values()), "%s %s" % (st, text))
    for cred, what in ((kids["Kid1"], "Kid1's token"), (k1sess, "Kid1's UI session"), (kids["Kid3"], "Kid3's token")):
        st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(cred))
        check("%s is refused at once: 401" % what, st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(other))
    check("a token someone else made keeps working: 200", st == 200, "%s %s" % (st, text))
    rows = [r for r in common_audit(env, "action=token.revoked") if r["object_id"] in ("Kid1", "Kid2", "Kid3")]
    check("each is audited token.revoked with revoked_with: Chief, by the API token",
          len(rows) == 3 and all(r["changes"].get("revoked_with", {}).get("after") == "Chief"
                                 and r["actor"] == "API token" for r in rows), rows)
    # the CLI
    rc, out, err = cli(env, "create", "--name", "Chief2", "--admin")
    st, js, text = make(env, out.strip(), {"name": "Kid5"})
    kid5 = js.get("token", "x")
    rc, out, err = cli(env, "revoke", "Kid5", "--admin")
    check("levy token revoke NAME --admin: exit 2 (a create flag)", rc == 2, "%s %r" % (rc, err))
    rc, out, err = cli(env, "list", "--with-created")
    check("levy token list --with-created: exit 2, --with-created goes with revoke",
          rc == 2 and "--with-created" in err, "%s %r" % (rc, err))
    rc, out, err = cli(env, "revoke", "Chief2", "--with-created")
    check("levy token revoke Chief2 --with-created: exit 0, says 1 token revoked with it",
          rc == 0 and "revoked with it" in out and "1 token" in out and "Kid5" in out, "%s %r %r" % (rc, out, err))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(kid5))
    check("Kid5 (made by Chief2) is refused: 401", st == 401, "%s %s" % (st, text))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
