#!/usr/bin/env python3
"""Issue 20 (operations): "recount kept sums" (plugins/rillet/recount.lua).

Usage: recount.py LEVY_BINARY SOURCE_DIR [BASE_PORT]

levy serve + levy sim seeded with invoices in several US states, connected and imported. Then,
behind levy's back (SQL on its store while it serves, the way a manual fix or a partial restore
writes it), every kept table is made wrong: a connection's document count, two documents'
calculation flags, the exposure day sums (a day removed, a day's cents changed, a day without
documents), a not-collected month memo and a filing sum. Asserts:
 1. each is wrong (against the documents, counted here in Python from the rows);
 2. `levy recount` (the CLI, POST /v1/store/recount on the running levy) exits 0 and prints
    what it fixed in words; invoices created and edited in Rillet while it runs are delivered
    by webhook and written meanwhile;
 3. afterwards every kept table equals the documents again (those writes counted once), the
    filing sums' check is ok, GET /v1/store/recount says done and, per table, what it changed
    (fixed counts and examples: the connection's kept and actual counts);
 4. the audit log holds the request (store.recount_requested, the API token's actor) and the
    outcome (store.recount_finished);
 5. a second recount on the now-right store changes nothing ("nothing was changed").
Runs on SQLite and, as reliab_recount_pg, on PostgreSQL (the chunks lock the documents there).
"""
import subprocess
import sys

import common
from common import check, wait_for

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 46300
N = 40
TYPES = {"invoice": "invoices", "credit_memo": "credit_memos"}
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED"]}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-recount-", BASE_PORT, invoices=N)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def rows(env, sql, *args):
    db = common.harness.store(env.levy_dir, readonly=False)
    try:
        with db:
            return [tuple(r) for r in db.execute(sql, args).fetchall()]
    finally:
        db.close()


def execute(env, sql, *args):
    db = common.harness.store(env.levy_dir, readonly=False)
    try:
        with db:
            db.execute(sql, args)
    finally:
        db.close()


# -- the oracles: each kept table counted from the documents

def conn_counts(env):
    out = {}
    for dt, t in TYPES.items():
        for c, docs, dec in rows(env, "SELECT connection_id, count(*) AS n, sum(CASE WHEN tax_status <> 'pending' OR reason "
                                      "IS NOT NULL THEN 1 ELSE 0 END) AS x FROM %s WHERE deleted = 0 GROUP BY connection_id" % t):
            out[(c, dt)] = (int(docs), int(dec))
    return out


def kept_conn_counts(env):
    return {(c, dt): (int(d), int(x)) for c, dt, d, x in rows(
        env, "SELECT connection_id, doc_type, sum(docs) AS d, sum(decided) AS x FROM rillet_conn_doc_counts "
             "GROUP BY connection_id, doc_type HAVING sum(docs) <> 0 OR sum(decided) <> 0")}


def wrong_flags(env):
    n = 0
    for t in TYPES.values():
        n += int(rows(env, "SELECT count(*) FROM %s d LEFT JOIN rillet_calc_heads h ON h.calculation_id = "
                           "d.calculation_id WHERE d.calc_imprecise <> COALESCE(h.imprecise, 0) OR "
                           "d.calc_cert_expired <> COALESCE(h.cert_expired, 0)" % t)[0][0])
    return n


def cents(a):
    """migration 0026's test: a plain two-decimal amount (else the document counts as bad)"""
    u = a[1:] if a.startswith("-") else a
    if len(a) <= 18 and len(u) >= 4 and u[-3] == "." and u[:-3].isdigit() and u[-2:].isdigit():
        return int(a.replace(".", "")), 0
    return 0, 1


def us_days(env):
    out = {}
    for dt, t in TYPES.items():
        for d, s, a in rows(env, "SELECT d.doc_date, upper(k.ship_state) AS s, "
                                 "COALESCE(d.net_amount, k.total_amount) AS a "
                                       "FROM %s d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id "
                                       "WHERE d.deleted = 0 AND d.doc_date IS NOT NULL AND d.currency = 'USD' AND "
                                       "upper(k.ship_country) = 'US' AND k.ship_state IS NOT NULL AND "
                                       "COALESCE(d.net_amount, k.total_amount) IS NOT NULL" % t):
            e = out.setdefault((dt, d, s), [0, 0, 0])
            m, bad = cents(a)
            e[0] += 1
            e[1] += m
            e[2] += bad
    return {k: tuple(v) for k, v in out.items()}


def kept_us_days(env):
    return {(dt, d, s): (int(n), int(m), int(b)) for dt, d, s, n, m, b in rows(
        env, "SELECT doc_type, doc_date, state, docs, minor, bad FROM rillet_us_days")}


def recount_state(env):
    st, js, _, _ = env.L("GET", "/v1/store/recount")
    return js if st == 200 else None


def quiet(env):
    return common.wait_quiet(env, 300)


def recount_cli(env):
    r = subprocess.run([LEVY, "recount", "--listen", "127.0.0.1:%d" % env.levy_port, "--api-token", env.token],
                       capture_output=True, text=True, timeout=600)
    return r


def run(env):
    check("simulator seeded", wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 300, 0.3))
    env.connect(regions=("US-CA", "US-NY", "US-TX", "US-WA", "US-IL"), events=EVENTS)
    check("import processed", quiet(env))
    check("filing sums ready", wait_for(lambda: (env.L("GET", "/v1/reports/filing/sums")[1] or {}).get("ready"),
                                        300, 0.3))
    st, js, text, _ = env.L("GET", "/v1/store/recount")
    check("GET /v1/store/recount answers 200, idle before any recount", st == 200 and js["state"] == "idle",
          (st, text[:300]))

    # the kept tables agree with the documents after the import (levy's own writers)
    check("connection counts right after the import", conn_counts(env) == kept_conn_counts(env))
    check("exposure day sums right after the import", us_days(env) == kept_us_days(env))
    check("calculation flags right after the import", wrong_flags(env) == 0)
    # a head flagged by hand has its document's flag kept by the trigger: not wrong
    execute(env, "UPDATE rillet_calc_heads SET imprecise = 1 WHERE calculation_id = (SELECT min(calculation_id) FROM "
                 "invoices WHERE calculation_id IS NOT NULL)")
    check("a flag set through its head is kept by the trigger", wrong_flags(env) == 0)
    # the memo of every month summed (the nc_memo job at start; a report reads it)
    env.L("GET", "/v1/reports/filing?from=2026-01-01&to=2026-12-31", timeout=120)
    memo = rows(env, "SELECT m.month, m.region, m.doc_type, m.sums, m.gen FROM rillet_nc_memo m WHERE m.sums <> '[]' AND "
                     "m.gen = COALESCE((SELECT x.gen FROM rillet_nc_months x WHERE x.month = m.month), 0) "
                     "ORDER BY m.month, m.region, m.doc_type")

    # the customer and product of the invoices Rillet creates while the recount runs: made
    # first (a product's tax code re-checks documents: their flags set right by levy itself)
    cu = env.sim_customer("Recount Buyer", {"line1": "1 Main St", "city": "Albany", "state": "NY", "zip_code": "12207",
                                            "country": "US"})
    prod = env.saas_product()
    check("quiet before the store is written behind levy's back", quiet(env))

    # -- behind levy's back
    cid = env.cid
    execute(env, "UPDATE rillet_conn_doc_counts SET docs = docs + 7 WHERE connection_id = '%s' AND doc_type = 'invoice' "
                 "AND shard = (SELECT min(shard) FROM rillet_conn_doc_counts WHERE connection_id = '%s' AND "
                 "doc_type = 'invoice')" % (cid, cid))
    execute(env, "INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided) "
                 "VALUES ('conn_restored_away', 'invoice', 0, 4, 4)")
    # the documents Rillet changes while the recount runs (below), and two others whose flags
    # are made wrong (a change of their calculation would set them right before the recount)
    st, sjs, text, _ = env.S("GET", "/invoices?limit=5")
    invs = (sjs or {}).get("invoices") or []
    paid = {i["id"] for i in invs[:2]}
    ids = [r[0] for r in rows(env, "SELECT id FROM invoices ORDER BY id") if r[0] not in paid][:2]
    for i in ids:
        execute(env, "UPDATE invoices SET calc_cert_expired = 1 - calc_cert_expired WHERE id = '%s'" % i)
    days = sorted(kept_us_days(env))
    check("exposure day sums to corrupt", len(days) >= 2, len(days))
    if len(days) < 2:
        return
    d0, d1 = days[0], days[-1]
    execute(env, "DELETE FROM rillet_us_days WHERE doc_type = '%s' AND doc_date = '%s' AND state = '%s'" % d0)
    execute(env, "UPDATE rillet_us_days SET minor = minor + 123 WHERE doc_type = '%s' AND doc_date = '%s' AND "
                 "state = '%s'" % d1)
    execute(env, "INSERT INTO rillet_us_days(doc_type, doc_date, state, docs, minor, bad) "
                 "VALUES ('invoice', '2019-01-01', 'NY', 2, 5000, 0)")
    if check("a not-collected memo row to corrupt", len(memo) >= 1, len(memo)):
        m = memo[0]
        execute(env, "UPDATE rillet_nc_memo SET sums = '[]' WHERE month = '%s' AND region = '%s' AND doc_type = '%s'"
                % (m[0], m[1], m[2]))
    execute(env, "UPDATE rillet_filing_sums SET tax = tax + 500 WHERE k = (SELECT min(k) FROM rillet_filing_sums "
                 "WHERE kind = 'taxes')")

    # 1. each is wrong now
    check("connection counts now wrong", conn_counts(env) != kept_conn_counts(env))
    check("calculation flags now wrong", wrong_flags(env) == 2, wrong_flags(env))
    check("exposure day sums now wrong", us_days(env) != kept_us_days(env))

    # 2. the recount, from the CLI, while Rillet changes documents (delivered by webhook)
    proc = subprocess.Popen([LEVY, "recount", "--listen", "127.0.0.1:%d" % env.levy_port, "--api-token", env.token],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=common.harness.pdeathsig_preexec())
    created = [env.sim_invoice(cu, prod, date="2026-0%d-11" % (k + 3), amount="%d.50" % (20 + k)) for k in range(3)]
    for inv in invs[:2]:  # paid meanwhile: their status changes (the decided counts, the candidates)
        due = (inv.get("amount_due") or {}).get("amount")
        if due and float(due) > 0:
            env.S("POST", "/invoices/%s/payments" % inv["id"], {"amount": {"amount": due, "currency": inv.get(
                "currency") or "USD"}, "date": inv["invoice_date"]})
    try:
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    check("levy recount exits 0", proc.returncode == 0, (proc.returncode, out[-800:], err[-800:]))
    check("levy recount prints what it fixed", "Fixed from the documents" in out and "Documents per connection" in out
          and "Exposure sums" in out, out[-800:])
    check("the documents created meanwhile are stored", all(c for c in created))
    check("quiet after the recount", quiet(env))

    # 3. every kept table equals the documents again
    check("connection counts equal the documents", conn_counts(env) == kept_conn_counts(env),
          (conn_counts(env), kept_conn_counts(env)))
    check("calculation flags equal their heads", wrong_flags(env) == 0, wrong_flags(env))
    ud, kd = us_days(env), kept_us_days(env)
    check("exposure day sums equal the documents", ud == kd,
          ({k: v for k, v in ud.items() if kd.get(k) != v}, {k: v for k, v in kd.items() if ud.get(k) != v}))
    if memo:
        # the memo row emptied behind levy's back holds its month's sums again once a report
        # reads it (the filing rebuild the recount started drops every memo row; the month
        # summed again) unless that month changed meanwhile (its generation moved)
        m = memo[0]
        env.L("GET", "/v1/reports/filing?from=2026-01-01&to=2026-12-31", timeout=120)
        now = rows(env, "SELECT sums, gen FROM rillet_nc_memo WHERE month = '%s' AND region = '%s' AND doc_type = '%s'"
                   % (m[0], m[1], m[2]))
        check("the not-collected memo row holds its month's sums again", now and (
            now[0][0] == m[3] if now[0][1] == m[4] else now[0][0] != "[]"), (now, m))
    fs = env.L("GET", "/v1/reports/filing/sums")[1] or {}
    check("filing sums' check ok after the recount", fs.get("ready") and fs["check"]["state"] == "ok", fs.get("check"))
    s = recount_state(env) or {}
    check("recount done", s.get("state") == "done", s)
    t = {x["table"]: x for x in s.get("tables") or []}
    check("it names each table it recounted", set(t) == {"conn_counts", "doc_flags", "us_days", "nc_memo", "filing"},
          sorted(t))
    cc = t.get("conn_counts") or {}
    check("connection counts: 2 fixed, the connection's kept and actual counts shown", cc.get("fixed") == 2 and any(
        e.get("connection_id") == cid and e["kept"]["documents"] == e["actual"]["documents"] + 7
        for e in cc.get("examples") or []), cc)
    check("calculation flags: 2 fixed", (t.get("doc_flags") or {}).get("fixed") == 2, (t.get("doc_flags"), ids, paid,
          rows(env, "SELECT id, calculation_id, tax_status, calc_imprecise, calc_cert_expired FROM invoices WHERE id IN "
                    "('%s')" % "','".join(ids))))
    check("exposure day sums: 3 fixed", (t.get("us_days") or {}).get("fixed") == 3, t.get("us_days"))
    check("not-collected memo: 1 fixed", not memo or (t.get("nc_memo") or {}).get("fixed") == 1, t.get("nc_memo"))
    check("filing sums: the difference found and rebuilt", (t.get("filing") or {}).get("fixed", 0) >= 1 and
          t["filing"].get("after_rebuild") == "ok", t.get("filing"))

    # 4. audited
    st, js, text, _ = env.L("GET", "/v1/audit?object_kind=store")
    acts = [(r["action"], r["actor_kind"]) for r in (js or {}).get("data") or []]
    check("audit: the request by the API token and the outcome",
          ("store.recount_requested", "api_token") in acts and ("store.recount_finished", "system") in acts,
          (st, acts, text[:300]))

    # 5. nothing left to fix
    r = recount_cli(env)
    check("a second recount changes nothing", r.returncode == 0 and "nothing was changed" in r.stdout,
          (r.returncode, r.stdout[-500:], r.stderr[-500:]))
    s = recount_state(env) or {}
    check("second recount: 0 fixed", s.get("state") == "done" and s.get("fixed") == 0, s.get("summary"))
    # the CLI's refusals: a wrong token, nothing listening (exit 1, one line saying why)
    r = subprocess.run([LEVY, "recount", "--listen", "127.0.0.1:%d" % env.levy_port, "--api-token",
                        "wrong-token-0123456789"], capture_output=True, text=True, timeout=60)
    check("levy recount with a wrong token exits 1 naming the 401", r.returncode == 1 and "answered 401" in r.stderr,
          (r.returncode, r.stderr[-300:]))
    r = subprocess.run([LEVY, "recount", "--listen", "127.0.0.1:9", "--api-token", env.token],
                       capture_output=True, text=True, timeout=60)
    check("levy recount with nothing listening exits 1 asking whether levy serves there",
          r.returncode == 1 and "is levy serving on 127.0.0.1:9" in r.stderr, (r.returncode, r.stderr[-300:]))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
