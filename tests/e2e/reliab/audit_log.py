#!/usr/bin/env python3
"""Issue 20 (audit20): the audit log of admin actions — who changed what, when, from what to what.

Usage: audit_log.py LEVY_BINARY SOURCE_DIR [BASE_PORT=41300]

levy serve + levy sim. Admin actions are made through the API with the API token and with a
browser session (POST /v1/session), and the rows of GET /v1/audit (and the store's audit_log)
are checked:
  * the connect flow: region.updated per subscribed region (subscribed / tax_calculation false ->
    true, label "California (US-CA)"), connection.created (the API key as "set (…abcd)" only),
    connection.subsidiary_chosen, connection.connected (the signing token as "set" only);
  * settings.updated by a UI session: the seller address before -> after, actor "UI session
    <8 hex>" (never the session token); product.tax_code_changed; customer.exemption_changed;
    certificate.uploaded / certificate.deleted; connection.key_replaced (the key as "replaced
    (…abcd)"); connection.scope_changed; sphere_api_key.created; the reports' filing frequency,
    physical presence (added, removed) and marketplace flag; an invoice's recalculation asked
    for (document.recalculate_requested); jobs.retried by an operator;
  * no secret anywhere: the Rillet API key, the signing token, the API token, the session token
    and the Sphere key are in no row of the store's audit_log and in no answer of GET /v1/audit
    (JSON or CSV);
  * work asked for by hand (audit20b): filing_sums.check_requested / .rebuild_requested,
    connection.sync_requested, connection.reconcile_requested (the API token, the request id);
    customer.tax_id_verified (the registry's answer, here unavailable); rules.reloaded by SIGHUP
    (system / signal) after `levy rates import` put a newer Texas vintage in the data dir (the
    rates' vintages before -> after), and by --watch (system / watch) in a second levy over a
    copy of the rules (port base 41900);
  * atomicity: a refused change (422) writes no row; and when the audit row cannot be written
    (a trigger on audit_log refuses inserts) the change itself is not saved: the settings, the
    region and the dead job stay as they were, and every route (Lua or C) answers 503
    unavailable "the change was not saved ..." (before: 500 from the Lua routes);
  * GET /v1/audit: newest first; filters action (and a prefix "region."), object_kind +
    object_id, actor_kind, from / to; paging with limit + cursor covers every row once; bad
    filters 422 with {"error":{code,message}}; ?format=csv and Accept: text/csv give one line per
    changed field; no route changes or deletes a row (PUT / DELETE /v1/audit: 405).
Runs on SQLite and, through tests/pg/run_on_pg.py, on PostgreSQL (reliab_audit_log_pg).
"""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import common
import harness
from common import check

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 41300
WATCH_PORT_BASE = 41900  # the second levy (--watch): audit20b's port base
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
SELLER_A = {"line1": "1 Market St", "city": "San Francisco", "state": "CA", "zip_code": "94105", "country": "US"}
SELLER_B = {"line1": "500 Broadway", "city": "New York", "state": "NY", "zip_code": "10012", "country": "US"}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-audit-", BASE_PORT, invoices=4)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def db_rows(env, sql, args=()):
    c = harness.store(env.levy_dir)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def db_exec(env, sql):
    c = harness.store(env.levy_dir, readonly=False)
    try:
        c.execute(sql)
        if not harness.PG_URL:
            c.commit()
    finally:
        c.close()


def audit_count(env):
    return db_rows(env, "SELECT count(*) FROM audit_log")[0][0]


def audit_dump(env):
    """Every column of every row of the store's audit_log, as one text."""
    rows = db_rows(env, "SELECT id, at, actor_kind, actor, action, object_kind, object_id, object_label, "
                        "changes, request_id FROM audit_log ORDER BY id")
    return "\n".join("|".join("" if v is None else str(v) for v in r) for r in rows)


def all_audit(env, query="", headers=None, limit=500):
    """Every row GET /v1/audit answers for query, following next_cursor."""
    out, cursor = [], None
    for _ in range(200):
        q = query + ("&" if query else "") + "limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        st, js, text, _ = harness.req("GET", env.levy_url + "/v1/audit?" + q, None,
                                      headers or {"Authorization": "Bearer " + env.token})
        if st != 200:
            raise RuntimeError("GET /v1/audit?%s: %s %s" % (q, st, text))
        out += js["data"]
        cursor = js["next_cursor"]
        if cursor is None:
            return out
    raise RuntimeError("GET /v1/audit: no end of pages")


def one(rows, action, object_id=None):
    m = [r for r in rows if r["action"] == action and (object_id is None or r["object_id"] == object_id)]
    return m[0] if m else None


def is_error(js, code):
    return isinstance(js, dict) and isinstance(js.get("error"), dict) and js["error"].get("code") == code \
        and bool(js["error"].get("message"))


def raw(env, method, path, data, ctype, token):
    r = urllib.request.Request(env.levy_url + path, data=data, method=method,
                               headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def put_dead_job(env, jid):
    now = int(time.time() * 1000)
    c = harness.store(env.levy_dir, readonly=False)
    try:
        c.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, "
                  "updated_at, last_error) VALUES (?, 'rillet.sweep', NULL, ?, 'dead', 8, 8, ?, ?, ?, "
                  "'Rillet answered 503')", (jid, json.dumps({"connection_id": env.cid}), now - 60000,
                                             now - 60000, now))
        if not harness.PG_URL:
            c.commit()
    finally:
        c.close()


def refused_row(js):
    """The one answer to a change whose audit row the store refused (C and Lua routes alike)."""
    e = (js or {}).get("error") or {}
    return e.get("code") == "unavailable" and "not saved" in (e.get("message") or "")


def block_audit(env, on):
    """A trigger that refuses every insert into audit_log (on), or none (off)."""
    if harness.PG_URL:
        if on:
            db_exec(env, "CREATE OR REPLACE FUNCTION audit_block() RETURNS trigger LANGUAGE plpgsql AS "
                         "$f$ BEGIN RAISE EXCEPTION 'audit blocked by the test'; END $f$")
            db_exec(env, "CREATE TRIGGER audit_block BEFORE INSERT ON audit_log FOR EACH ROW "
                         "EXECUTE FUNCTION audit_block()")
        else:
            db_exec(env, "DROP TRIGGER audit_block ON audit_log")
    elif on:
        db_exec(env, "CREATE TRIGGER audit_block BEFORE INSERT ON audit_log "
                     "BEGIN SELECT RAISE(ABORT, 'audit blocked by the test'); END")
    else:
        db_exec(env, "DROP TRIGGER audit_block")


def run(env):
    con = env.connect(regions=("US-CA", "US-NY"))
    check("levy and the simulator are quiet", common.wait_quiet(env, 300))
    rows = all_audit(env)
    ca = one(rows, "region.updated", "US-CA")
    check("connect flow: region.updated US-CA by the API token, subscribed and tax_calculation false -> true",
          ca and ca["actor_kind"] == "api_token" and ca["actor"] == "API token" and ca["object_kind"] == "region"
          and ca["object_label"] == "California (US-CA)"
          and ca["changes"].get("subscribed") == {"before": False, "after": True}
          and ca["changes"].get("tax_calculation") == {"before": False, "after": True}
          and ca["request_id"], ca)
    created = one(rows, "connection.created", env.cid)
    check("connect flow: connection.created names the key only as 'set (…last 4)'",
          created and created["changes"].get("api_key", {}).get("after") == "set (…%s)" % env.key[-4:]
          and created["changes"]["api_key"]["before"] is None, created)
    check("connect flow: connection.subsidiary_chosen and connection.connected (token: 'set' only)",
          one(rows, "connection.subsidiary_chosen", env.cid) is not None
          and (one(rows, "connection.connected", env.cid) or {}).get("changes", {}).get("signing_token")
          == {"before": None, "after": "set"}, [r["action"] for r in rows])
    check("newest first", [r["id"] for r in rows] == sorted([r["id"] for r in rows], reverse=True))

    # a UI session changes the seller address twice
    st, js, text, _ = harness.req("POST", env.levy_url + "/v1/session", {"api_token": env.token})
    check("a browser session from the API token", st == 201 and js.get("session_token"), "%s %s" % (st, text))
    session = js["session_token"]
    ui = {"Authorization": "Bearer " + session}
    st, _, text, _ = harness.req("PUT", env.levy_url + "/v1/settings", {"seller_address": SELLER_A}, ui)
    check("PUT /v1/settings (UI session): 200", st == 200, "%s %s" % (st, text))
    st, _, text, _ = harness.req("PUT", env.levy_url + "/v1/settings", {"seller_address": SELLER_B}, ui)
    check("PUT /v1/settings again: 200", st == 200, "%s %s" % (st, text))
    srows = all_audit(env, "action=settings.updated")
    check("two settings.updated rows, newest first", len(srows) == 2, srows)
    if len(srows) == 2:
        s = srows[0]
        sa = s["changes"].get("seller_address", {})
        check("settings.updated: the seller address from A to B", sa.get("before", {}).get("city") == "San Francisco"
              and sa.get("after", {}).get("city") == "New York", s)
        check("settings.updated by 'UI session <8 hex>' (kind ui_session), no other field listed",
              s["actor_kind"] == "ui_session" and s["actor"].startswith("UI session ") and len(s["actor"]) == 19
              and set(s["changes"]) == {"seller_address"}, s)

    # refused changes write no row
    n0 = audit_count(env)
    st, js, text, _ = env.L("PUT", "/v1/regions/US-TX", {"subscribed": "yes"})
    check("a refused region change: 422", st == 422 and is_error(js, "validation_failed"), "%s %s" % (st, text))
    st, js, text, _ = env.L("PUT", "/v1/settings", {"rounding": "sideways"})
    check("a refused settings change: 422", st == 422, "%s %s" % (st, text))
    st, _, _, _ = env.L("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True})
    check("a PUT that changes nothing: 200", st == 200)
    check("refused (and no-op) changes wrote no audit row", audit_count(env) == n0, (n0, audit_count(env)))

    # product tax code, customer exemption, certificate upload and delete
    st, js, text, _ = env.L("GET", "/v1/products?limit=1")
    prod = js["data"][0] if st == 200 and js.get("data") else None
    check("a product to change", prod is not None, text)
    new_code = "digital_goods" if prod and prod["tax_code"] != "digital_goods" else "general"
    st, _, text, _ = env.L("PUT", "/v1/products/" + urllib.parse.quote(prod["id"]), {"tax_code": new_code})
    check("PUT /v1/products/{id} tax_code: 200", st == 200, "%s %s" % (st, text))
    p = one(all_audit(env, "object_kind=product&object_id=" + urllib.parse.quote(prod["id"])), "product.tax_code_changed")
    check("product.tax_code_changed: before -> after, labelled with the product's name",
          p and p["changes"].get("tax_code") == {"before": prod["tax_code"], "after": new_code}
          and p["object_label"] == prod["name"], p)
    st, js, text, _ = env.L("GET", "/v1/customers?limit=1")
    cust = js["data"][0] if st == 200 and js.get("data") else None
    check("a customer to change", cust is not None, text)
    cid = urllib.parse.quote(cust["id"])
    st, _, text, _ = env.L("PUT", "/v1/customers/" + cid, {"exempt": True, "exempt_regions": ["US-CA"]})
    check("PUT /v1/customers/{id} exempt: 200", st == 200, "%s %s" % (st, text))
    c = one(all_audit(env, "object_kind=customer&object_id=" + cid), "customer.exemption_changed")
    check("customer.exemption_changed: exempt false -> true, exempt_regions [] -> [US-CA]",
          c and c["changes"].get("exempt", {}).get("after") is True
          and c["changes"].get("exempt_regions", {}).get("after") == ["US-CA"], c)
    q = urllib.parse.urlencode({"number": "AUD-1", "reason": "resale", "regions": "US-CA", "issued": "2026-01-01"})
    st, body = raw(env, "POST", "/v1/customers/%s/exemption-certificates?%s" % (cid, q), PDF, "application/pdf",
                   env.token)
    cert = json.loads(body.decode()) if st == 201 else {}
    check("certificate upload: 201", st == 201, "%s %s" % (st, body[:200]))
    st, body = raw(env, "DELETE", "/v1/customers/%s/exemption-certificates/%s" % (cid, cert.get("id")), None,
                   "application/json", env.token)
    check("certificate delete: 200", st == 200, "%s %s" % (st, body[:200]))
    crow = all_audit(env, "action=certificate.")
    check("certificate.uploaded and certificate.deleted (action prefix filter), on the customer",
          [r["action"] for r in crow] == ["certificate.deleted", "certificate.uploaded"]
          and all(r["object_id"] == cust["id"] and "AUD-1" in r["object_label"] for r in crow)
          and crow[1]["changes"]["certificate"]["after"]["number"] == "AUD-1", crow)

    # the connection: API key replaced (the same key), scope changed
    st, _, text, _ = env.L("POST", "/v1/connections/%s/api-key" % env.cid, {"api_key": env.key})
    check("POST /v1/connections/{id}/api-key: 200", st == 200, "%s %s" % (st, text))
    k = one(all_audit(env, "action=connection.key_replaced"), "connection.key_replaced", env.cid)
    check("connection.key_replaced: 'replaced (…last 4)', nothing more of the key",
          k and k["changes"].get("api_key", {}).get("after") == "replaced (…%s)" % env.key[-4:], k)
    st, _, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"manual_tax": "overwrite"})
    check("PATCH /v1/connections/{id} manual_tax: 200", st == 200, "%s %s" % (st, text))
    sc = one(all_audit(env, "action=connection.scope_changed"), "connection.scope_changed", env.cid)
    check("connection.scope_changed: manual_tax respect_manual -> overwrite",
          sc and sc["changes"].get("manual_tax") == {"before": "respect_manual", "after": "overwrite"}, sc)
    st, js, text, _ = env.L("POST", "/v1/sphere-api-key", {})
    sphere_key = js.get("api_key") if st == 201 else None
    check("POST /v1/sphere-api-key: 201 with the key", bool(sphere_key), "%s %s" % (st, text))
    sk = one(all_audit(env, "object_kind=sphere_api_key"), "sphere_api_key.created")
    check("sphere_api_key.created: 'replaced (…last 4)' only",
          sk and sk["changes"]["api_key"]["after"] == "replaced (…%s)" % sphere_key[-4:], sk)

    # a document's tax asked for again by hand
    st, js, text, _ = env.L("GET", "/v1/invoices?limit=1")
    inv = js["data"][0] if st == 200 and js.get("data") else None
    check("an invoice to recalculate", inv is not None, text)
    st, _, text, _ = env.L("POST", "/v1/invoices/%s/recalculate" % urllib.parse.quote(inv["id"]), {})
    check("POST /v1/invoices/{id}/recalculate: 202", st == 202, "%s %s" % (st, text))
    rc = one(all_audit(env, "object_kind=invoice&object_id=" + urllib.parse.quote(inv["id"])),
             "document.recalculate_requested")
    check("document.recalculate_requested on the invoice, by the API token",
          rc and rc["actor_kind"] == "api_token" and rc["changes"]["tax_status"]["after"] == "recalculating", rc)

    # the reports' settings: filing frequency, physical presence, a marketplace customer
    st, _, text, _ = env.L("PUT", "/v1/reports/filing-frequencies/US-CA", {"frequency": "quarter"})
    check("PUT filing frequency: 200", st == 200, "%s %s" % (st, text))
    st, pres, text, _ = env.L("POST", "/v1/reports/presence", {"region": "US-TX", "kind": "office", "from": "2026-01-01"})
    check("POST presence: 201", st == 201, "%s %s" % (st, text))
    st, _, text, _ = env.L("DELETE", "/v1/reports/presence/%s" % (pres or {}).get("id"))
    check("DELETE presence: 204", st == 204, "%s %s" % (st, text))
    st, _, text, _ = env.L("PUT", "/v1/reports/marketplace/customers/" + cid, {"marketplace": True})
    check("PUT marketplace customer: 200", st == 200, "%s %s" % (st, text))
    rrows = all_audit(env)
    ff = one(rrows, "filing_frequency.updated", "US-CA")
    check("filing_frequency.updated: nothing -> quarter",
          ff and ff["changes"].get("frequency") == {"before": None, "after": "quarter"}, ff)
    pa, pr = one(rrows, "presence.added", "US-TX"), one(rrows, "presence.removed", "US-TX")
    check("presence.added and presence.removed on US-TX, the entry before / after",
          pa and pr and pa["changes"]["presence"]["after"]["kind"] == "office"
          and pr["changes"]["presence"]["before"]["kind"] == "office" and pr["changes"]["presence"]["after"] is None,
          (pa, pr))
    mk = one(rrows, "marketplace.customer_flagged", cust["id"])
    check("marketplace.customer_flagged: false -> true",
          mk and mk["changes"].get("marketplace") == {"before": False, "after": True}, mk)

    # an operator retries a job that gave up
    put_dead_job(env, "job_audit20deadaaaaaaaaaaaaaa")
    st, js, text, _ = harness.req("POST", env.levy_url + "/admin/jobs/job_audit20deadaaaaaaaaaaaaaa/retry", {}, ui)
    check("POST /admin/jobs/{id}/retry (UI session): 200", st == 200, "%s %s" % (st, text))
    j = one(all_audit(env, "action=jobs.retried"), "jobs.retried", "job_audit20deadaaaaaaaaaaaaaa")
    check("jobs.retried: by the UI session, state dead -> queued",
          j and j["actor_kind"] == "ui_session" and j["changes"].get("state") == {"before": "dead", "after": "queued"},
          j)

    # work started by hand: the filing sums' check and rebuild, a sync, a reconciliation
    for path, action, oid in (("/v1/reports/filing/sums/check", "filing_sums.check_requested", None),
                              ("/v1/reports/filing/sums/rebuild", "filing_sums.rebuild_requested", None),
                              ("/v1/connections/%s/sync" % env.cid, "connection.sync_requested", env.cid),
                              ("/v1/connections/%s/reconcile" % env.cid, "connection.reconcile_requested", env.cid)):
        st, _, text, _ = env.L("POST", path, {})
        check("POST %s: 202" % path, st == 202, "%s %s" % (st, text))
        r = one(all_audit(env, "action=" + action), action, oid)
        check("%s: by the API token, with the request's id" % action,
              r and r["actor_kind"] == "api_token" and r["request_id"] and r["changes"], r)
    check("the filing sums' rows: object filing_sums, the check from its last state to running",
          (one(all_audit(env, "object_kind=filing_sums"), "filing_sums.check_requested") or {})
          .get("changes", {}).get("check", {}).get("after") == "running")
    check("levy quiet again after the sync and reconciliation", common.wait_quiet(env, 300))

    # atomicity: an audit row that cannot be written takes its change with it
    block_audit(env, True)
    n1 = audit_count(env)
    st, js, text, _ = env.L("PUT", "/v1/settings", {"seller_address": SELLER_A})
    check("settings change whose audit row is refused: 503 unavailable saying the change was not saved",
          st == 503 and refused_row(js), "%s %s" % (st, text))
    st, s, _, _ = env.L("GET", "/v1/settings")
    check("... and the seller address is unchanged (still New York)",
          st == 200 and s["seller_address"]["city"] == "New York", s)
    st, js, text, _ = env.L("PUT", "/v1/regions/US-TX", {"subscribed": True})
    check("region change whose audit row is refused: 503 unavailable saying the change was not saved",
          st == 503 and refused_row(js), "%s %s" % (st, text))
    st, r, _, _ = env.L("GET", "/v1/regions/US-TX")
    check("... and US-TX is still not subscribed", st == 200 and r["subscribed"] is False, r)
    put_dead_job(env, "job_audit20deadbbbbbbbbbbbbbb")
    st, js, text, _ = env.L("POST", "/admin/jobs/job_audit20deadbbbbbbbbbbbbbb/retry", {})
    check("job retry whose audit row is refused: 503 unavailable (the store's fault, not a conflict), the same words",
          st == 503 and refused_row(js), "%s %s" % (st, text))
    st, js, text, _ = env.L("POST", "/v1/reports/filing/sums/check", {})
    check("a filing sums check whose audit row is refused: 503, the same words", st == 503 and refused_row(js),
          "%s %s" % (st, text))
    jr = db_rows(env, "SELECT state FROM jobs WHERE id = 'job_audit20deadbbbbbbbbbbbbbb'")
    check("... and the job is still dead", jr and jr[0][0] == "dead", jr)
    check("no audit row while refused", audit_count(env) == n1, (n1, audit_count(env)))
    block_audit(env, False)
    st, _, text, _ = env.L("PUT", "/v1/regions/US-TX", {"subscribed": True})
    check("with the trigger gone the same change is saved and logged", st == 200
          and one(all_audit(env, "object_kind=region&object_id=US-TX"), "region.updated") is not None,
          "%s %s" % (st, text))

    # the API: filters, paging, errors, CSV, append-only
    every = all_audit(env)
    paged = all_audit(env, limit=2)
    check("paging by 2 with the cursor: every row once, in order", [r["id"] for r in paged] == [r["id"] for r in every]
          and len(every) >= 15, (len(paged), len(every)))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    check("from=to=today: every row; to=yesterday: none",
          len(all_audit(env, "from=%s&to=%s" % (today, today))) == len(every)
          and all_audit(env, "to=2020-01-01") == [])
    check("actor_kind=ui_session: only the session's rows (settings twice, the job retry)",
          sorted(r["action"] for r in all_audit(env, "actor_kind=ui_session"))
          == ["jobs.retried", "settings.updated", "settings.updated"])
    check("action prefix region.: only region rows",
          all(r["action"] == "region.updated" for r in all_audit(env, "action=region.")))
    for q, field in (("from=2026-13-01", "from"), ("action=DROP%20TABLE", "action"), ("actor_kind=root", "actor_kind"),
                     ("limit=0", "limit"), ("cursor=bm90LWEtY3Vyc29y", "cursor"), ("format=xml", "format")):
        st, js, text, _ = env.L("GET", "/v1/audit?" + q)
        check("GET /v1/audit?%s: 422 naming %s" % (q, field), st == 422 and is_error(js, "validation_failed")
              and field in text, "%s %s" % (st, text))
    for m in ("PUT", "DELETE", "POST"):
        st, js, text, hd = env.L(m, "/v1/audit", {})
        check("%s /v1/audit: 405 (append-only)" % m,
              st == 405 and "PUT" not in hd.get("Allow", "PUT") and "DELETE" not in hd.get("Allow"),
              "%s %s %s" % (st, text, hd.get("Allow")))
    st, _, text, hd = env.L("GET", "/v1/audit?format=csv&action=settings.updated")
    lines = list(csv.reader(io.StringIO(text)))
    check("?format=csv: text/csv, header, one line per changed field",
          st == 200 and hd.get("Content-Type", "").startswith("text/csv")
          and lines[0] == ["id", "at", "actor_kind", "actor", "action", "object_kind", "object_id", "object_label",
                           "field", "before", "after", "request_id", "person"]
          and len(lines) == 3 and all(ln[8] == "seller_address" for ln in lines[1:])
          and "New York" in lines[1][10], text[:600])
    st, _, text2, _ = harness.req("GET", env.levy_url + "/v1/audit?action=settings.updated", None,
                                  {"Authorization": "Bearer " + env.token, "Accept": "text/csv"})
    check("Accept: text/csv gives the same CSV", st == 200 and text2 == text)
    st, _, full_csv, _ = env.L("GET", "/v1/audit?format=csv")
    check("the whole log as CSV", st == 200 and "connection.key_replaced" in full_csv)

    # a reload by SIGHUP onto rate tables `levy rates import` put in the data dir: who (system /
    # signal) and the rates' vintages before / after
    shipped = os.path.join(SRC, "data/us/avalara-zip5-2025-12/TAXRATES_ZIP5_TX202512.csv")
    newer = os.path.join(env.tmp, "TAXRATES_ZIP5_TX202603.csv")
    with open(shipped) as f, open(newer, "w") as g:
        g.write(f.read())
    r = subprocess.run([LEVY, "rates", "import", newer, "--data-dir", env.levy_dir], capture_output=True, text=True,
                       timeout=120)
    check("levy rates import of a newer Texas vintage", r.returncode == 0, r.stdout + r.stderr)
    env.levy.send_signal(signal.SIGHUP)
    common.wait_for(lambda: one(all_audit(env, "actor=signal"), "rules.reloaded") is not None, 180, 0.5)
    rl = one(all_audit(env, "actor=signal"), "rules.reloaded")
    rates = (rl or {}).get("changes", {}).get("rates", {})
    check("rules.reloaded by SIGHUP: actor system / signal, generation and rates' vintages before -> after",
          rl and rl["actor_kind"] == "system" and rl["changes"]["generation"]["after"]
          > rl["changes"]["generation"]["before"] and "avalara-zip5 2026-03" in (rates.get("after") or "")
          and "2026-03" not in (rates.get("before") or "x"), rl)

    # --watch: a levy of its own (its data dir, SQLite) over a copy of the rules; a changed rule
    # file reloads it, and the row says levy did it because --watch saw the change
    wdir = os.path.join(env.tmp, "watch")
    shutil.copytree(os.path.join(SRC, "scripts"), os.path.join(wdir, "scripts"))
    wport = harness.free_port(WATCH_PORT_BASE, 50)
    wurl, wauth = "http://127.0.0.1:%d" % wport, {"Authorization": "Bearer " + env.token}
    wp = harness.start([LEVY, "serve", "--listen", "127.0.0.1:%d" % wport, "--data-dir", os.path.join(wdir, "data"),
                        "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(wdir, "scripts"),
                        "--api-token", env.token, "--watch"], os.path.join(wdir, "levy.log"), keep_levy_env=False)
    try:
        up = common.wait_for(lambda: wp.poll() is None
                             and harness.req("GET", wurl + "/healthz", timeout=2)[0] == 200, 120, 0.2)
        check("levy serve --watch starts", up)
        rule = next(os.path.join(d, f) for d, _, fs in sorted(os.walk(os.path.join(wdir, "scripts")))
                    for f in sorted(fs) if f.endswith(".lua"))
        with open(rule, "a") as f:
            f.write("\n-- changed by the audit log's test (--watch)\n")

        def watch_row():
            st, js, _, _ = harness.req("GET", wurl + "/v1/audit?action=rules.reloaded", None, wauth)
            return next((r for r in (js or {}).get("data", []) if st == 200 and r["actor"] == "watch"), None)
        common.wait_for(lambda: watch_row() is not None, 180, 0.5)
        wr = watch_row()
        check("rules.reloaded by --watch: actor system / watch, generation 1 -> 2 (no rates change: no rates field)",
              wr and wr["actor_kind"] == "system" and wr["changes"].get("generation") == {"before": 1, "after": 2}
              and "rates" not in wr["changes"], wr)
    finally:
        harness.stop(wp)

    # a tax id checked online by hand: its answer (here: the registry unreachable) in the row
    st, js, text, _ = env.S("GET", "/customers?limit=100")
    de = next((c for c in (js or {}).get("customers", [])
               if (c.get("shipping_address") or c.get("address") or {}).get("country") == "DE"
               and (c.get("external_references") or [])), None)
    check("a German customer with a tax id", de is not None, text[:300])
    st, _, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": {"enabled": True, "vies_url": "http://127.0.0.1:9/"}})
    check("online tax id checks on (a registry that does not answer)", st == 200, "%s %s" % (st, text))
    st, js, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % urllib.parse.quote(de["id"]), {})
    check("verify: 502 registry_unavailable", st == 502, "%s %s" % (st, text))
    tv = one(all_audit(env, "object_kind=customer&object_id=" + urllib.parse.quote(de["id"])), "customer.tax_id_verified")
    check("customer.tax_id_verified: by the API token, the registry's answer none -> unavailable",
          tv and tv["actor_kind"] == "api_token"
          and tv["changes"].get("tax_id_check") == {"before": None, "after": "unavailable"}, tv)

    # no secret anywhere
    api_json = json.dumps(all_audit(env), ensure_ascii=False)
    dump = audit_dump(env)
    secrets = {"the Rillet API key": env.key, "the signing token": env.signing_token, "the API token": env.token,
               "the session token": session, "the Sphere key": sphere_key}
    for name, sec in secrets.items():
        check("%s is in no audit row, no API answer, no CSV" % name,
              sec and sec not in dump and sec not in api_json and sec not in full_csv
              and sec[4:] not in dump and sec[4:] not in api_json)
    del con


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
