#!/usr/bin/env python3
"""Webhook replay and signed-string ambiguity (issue 15, finding 13).

The signature covers `timestamp "." id "." entity "." event "." body`. Before the fix any
header values were accepted, so a delivery signed with X-Rillet-Timestamp
"…T10:00:00.123Z" and X-Rillet-Id "<uuid>" verified just as well when re-sent as timestamp
"…T10:00:00" + id "123Z.<uuid>" (the same signed bytes): levy stored it as a NEW delivery,
i.e. anyone who saw one delivery could replay it under a fresh id, and there was no limit on
a timestamp's age. Checked here, against the real simulator's signing token:
  * the re-split is refused (400 invalid_header) and nothing is stored;
  * X-Rillet-Id must be a UUID, X-Rillet-Timestamp an RFC 3339 date-time, entity and event
    words: else 400 invalid_header;
  * a correctly signed delivery older than the tolerance (default 7 days), or more than
    300 s in the future, is refused with 401 stale_timestamp, logged at WARN, counted in
    /metrics, and nothing is stored; one 2 days old is accepted (the default is wide);
  * a delivery already stored is still answered 200 duplicate when its timestamp has aged
    out of the window (a late retry never fails);
  * LEVY_WEBHOOK_TOLERANCE_S narrows the window; 0 turns the check off; a bad value stops
    levy with exit code 2;
  * a webhook body with a repeated key is accepted and applied (last wins): Rillet's
    deliveries are decoded leniently, client request bodies are not;
  * the simulator's own deliveries (UUID ids, RFC 3339 timestamps) are accepted.

Usage: webhook_replay.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19860]
"""
import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19860


def iso(t, frac=None):
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return s + ("." + frac if frac is not None else "") + "Z"


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-replay-", BASE_PORT, invoices=3)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA",), events={"INVOICE": ["CREATED", "UPDATED"]})

        def send(body, ts, wid, entity="VENDOR", event="CREATED", sig_parts=None):
            """Posts a delivery; the signature is over sig_parts (default: the headers sent)."""
            sp = sig_parts or (ts, wid, entity, event)
            h = {"X-Rillet-Signature": common.sign(env.signing_token, sp[0], sp[1], sp[2], sp[3], body),
                 "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": entity, "X-Rillet-Event": event}
            return common.req("POST", env.webhook_url, headers=h, raw=body)

        def code(r):
            return ((r[1] or {}).get("error") or {}).get("code")

        stored = []   # ids that must end up in the inbox
        refused = []  # ids that must not

        # 1. a normal delivery with fractional seconds: 200
        now = time.time()
        ts = iso(now, "123")
        wid = str(uuid.uuid4())
        body = json.dumps({"id": "vendor-1", "name": "a vendor"}).encode()
        r = send(body, ts, wid)
        check("a normal signed delivery (fractional seconds) -> 200", r[0] == 200 and r[1] == {"received": True, "duplicate": False}, r[2])
        stored.append(wid)

        # 2. the re-split: same signed bytes, timestamp cut before ".123Z", id = "123Z.<uuid>"
        ts2, wid2 = ts[:-len(".123Z")], "123Z." + wid
        same = (ts2 + "." + wid2) == (ts + "." + wid)
        check("(the re-split signs the same bytes)", same, (ts2, wid2))
        h = {"X-Rillet-Signature": common.sign(env.signing_token, ts, wid, "VENDOR", "CREATED", body),
             "X-Rillet-Timestamp": ts2, "X-Rillet-Id": wid2, "X-Rillet-Entity": "VENDOR", "X-Rillet-Event": "CREATED"}
        r = common.req("POST", env.webhook_url, headers=h, raw=body)
        check("re-split replay (ts shorter, id '123Z.<uuid>') with the original signature -> 400 invalid_header",
              r[0] == 400 and code(r) == "invalid_header", (r[0], r[2]))
        refused.append(wid2)
        # the other direction: the timestamp takes the id, every part shifts one to the left
        # (signed: ts . uuid . VENDOR . CREATED . {"id":"v . 1"} -- the body holds a '.')
        body_dot = b'{"id":"v.1","name":"a vendor"}'
        wid_d = str(uuid.uuid4())
        r = send(body_dot, ts, wid_d)
        check("a delivery whose body holds a '.' -> 200", r[0] == 200, r[2])
        stored.append(wid_d)
        h = {"X-Rillet-Signature": common.sign(env.signing_token, ts, wid_d, "VENDOR", "CREATED", body_dot),
             "X-Rillet-Timestamp": ts + "." + wid_d, "X-Rillet-Id": "VENDOR", "X-Rillet-Entity": "CREATED",
             "X-Rillet-Event": '{"id":"v'}
        r = common.req("POST", env.webhook_url, headers=h, raw=b'1","name":"a vendor"}')
        check("re-split the other way (the id moved into the timestamp) -> 400 invalid_header",
              r[0] == 400 and code(r) == "invalid_header", (r[0], r[2]))
        refused.append("VENDOR")
        # entity/event re-split: a '.' in the entity is not a word
        r = send(body, iso(now), str(uuid.uuid4()), entity="VENDOR.CREATED", event="x")
        check("X-Rillet-Entity with a '.' -> 400 invalid_header", r[0] == 400 and code(r) == "invalid_header", (r[0], r[2]))

        # 3. header formats (each correctly signed over what is sent)
        bad_ids = ["evt-1", "ops-wh-1", wid.replace("-", ""), wid + "0", wid[:-1], "{" + wid + "}",
                   "urn:uuid:" + wid, wid[:8] + "_" + wid[9:], "g" + wid[1:]]
        for b in bad_ids:
            r = send(body, iso(now), b)
            check("X-Rillet-Id %r -> 400 invalid_header" % b, r[0] == 400 and code(r) == "invalid_header", (r[0], r[2]))
            refused.append(b)
        w = str(uuid.uuid4()).upper()
        r = send(body, iso(now), w)
        check("an upper-case UUID is accepted", r[0] == 200, r[2])
        stored.append(w)
        d = time.strftime("%Y-%m-%d", time.gmtime(now))
        hms = time.strftime("%H:%M:%S", time.gmtime(now))
        bad_ts = [str(int(now)), d, d + " " + hms + "Z", d + "T" + hms, d + "T" + hms[:5] + "Z",
                  d + "T" + hms + "+0000", d + "T" + hms + ".Z", d + "T" + hms + ".1234567890Z",
                  "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-12-06T24:00:00Z",
                  "2026-12-06T10:60:00Z", "2026-12-06T10:00:60Z", "2026-12-06T10:00:00+24:00",
                  "+" + d + "T" + hms + "Z", "2026-12-06T10:00:00,5Z"]
        for b in bad_ts:
            w = str(uuid.uuid4())
            r = send(body, b, w)
            check("X-Rillet-Timestamp %r -> 400 invalid_header" % b, r[0] == 400 and code(r) == "invalid_header", (r[0], r[2]))
            refused.append(w)
        for good in (iso(now, "5"), iso(now, "123456789"), iso(now).replace("Z", "+00:00"),
                     time.strftime("%Y-%m-%dT%H:%M:%S-05:00", time.gmtime(now - 5 * 3600)),
                     iso(now).replace("T", "t").replace("Z", "z")):
            w = str(uuid.uuid4())
            r = send(body, good, w)
            check("X-Rillet-Timestamp %r -> 200" % good, r[0] == 200, (r[0], r[2]))
            stored.append(w)

        # 4. the window: 8 days old and 1 hour ahead refused; 2 days old accepted
        for label, t in (("8 days old", now - 8 * 86400), ("1 hour in the future", now + 3600)):
            w = str(uuid.uuid4())
            r = send(body, iso(t), w)
            check("a correctly signed delivery %s -> 401 stale_timestamp" % label,
                  r[0] == 401 and code(r) == "stale_timestamp", (r[0], r[2]))
            refused.append(w)
        old_ok = str(uuid.uuid4())
        old_ts = iso(now - 2 * 86400)
        r = send(body, old_ts, old_ok)
        check("a delivery 2 days old (a late retry) -> 200 (default window 7 days)", r[0] == 200, (r[0], r[2]))
        stored.append(old_ok)
        r = send(body, iso(now + 120), str(uuid.uuid4()))
        check("a delivery 2 minutes ahead (clock skew) -> 200", r[0] == 200, (r[0], r[2]))
        st, _, text, _ = env.L("GET", "/metrics")
        check("/metrics counts stale_timestamp and invalid_header deliveries",
              'result="stale_timestamp"' in text and 'result="invalid_header"' in text,
              [ln for ln in text.splitlines() if "webhook_deliveries" in ln])
        log = common.tail(os.path.join(env.tmp, "levy.log"), 200000)
        check("the stale delivery is logged at WARN (no secret in the line)",
              any("outside the accepted window" in ln and ("WARN" in ln or "warn" in ln) for ln in log.splitlines())
              and env.signing_token not in log, "")

        # 5. a webhook body with a repeated key: accepted and applied, last wins
        st, inv, text, _ = env.S("GET", "/invoices?limit=1&subsidiary_id=" + env.sub["id"])
        doc = (inv or {}).get("invoices", [None])[0]
        if check("an invoice in the simulator", doc, text[:300]):
            doc["updated_at"] = iso(time.time() + 60, "000")
            text_doc = json.dumps(doc, separators=(",", ":"))
            dup_body = (text_doc[:-1] + ',"memo":"first","memo":"second"}').encode()
            w = str(uuid.uuid4())
            r = send(dup_body, iso(time.time()), w, entity="INVOICE", event="UPDATED")
            check("a delivery whose body repeats a key -> 200", r[0] == 200, r[2])
            stored.append(w)

            def applied():
                s, d2, _, _ = env.L("GET", "/v1/invoices/" + doc["id"])
                return d2 if s == 200 and d2.get("memo") == "second" else None
            check("... and it is applied (last wins)", common.wait_for(applied, 30), "")

        # 6. a narrower window by LEVY_WEBHOOK_TOLERANCE_S; an aged-out duplicate still gets 200
        common.stop(env.levy)
        env.levy_env = {"LEVY_WEBHOOK_TOLERANCE_S": "600"}
        check("levy restarts with LEVY_WEBHOOK_TOLERANCE_S=600", env.start_levy())
        r = send(body, old_ts, old_ok)
        check("the stored 2-day-old delivery re-sent -> 200 duplicate (a retry never fails)",
              r[0] == 200 and (r[1] or {}).get("duplicate") is True, (r[0], r[2]))
        w = str(uuid.uuid4())
        r = send(body, iso(time.time() - 1200), w)
        check("20 minutes old with a 600 s window -> 401 stale_timestamp", r[0] == 401 and code(r) == "stale_timestamp", (r[0], r[2]))
        refused.append(w)
        w = str(uuid.uuid4())
        r = send(body, iso(time.time() - 60), w)
        check("1 minute old with a 600 s window -> 200", r[0] == 200, (r[0], r[2]))
        stored.append(w)
        common.stop(env.levy)
        env.levy_env = {"LEVY_WEBHOOK_TOLERANCE_S": "0"}
        check("levy restarts with LEVY_WEBHOOK_TOLERANCE_S=0", env.start_levy())
        w = str(uuid.uuid4())
        r = send(body, "2020-01-01T00:00:00Z", w)
        check("with 0 the age is not checked (2020 -> 200)", r[0] == 200, (r[0], r[2]))
        stored.append(w)
        def usage(args, extra_env):
            try:
                p = subprocess.run([LEVY, "serve", "--data-dir", env.levy_dir + "-x", "--listen", "127.0.0.1:0"] + args,
                                   env=dict(os.environ, **extra_env), capture_output=True, timeout=20)
                return p.returncode, p.stderr
            except subprocess.TimeoutExpired:
                return None, b"still running after 20 s"
        rc, err = usage([], {"LEVY_WEBHOOK_TOLERANCE_S": "7d"})
        check("LEVY_WEBHOOK_TOLERANCE_S=7d -> exit 2 with a message", rc == 2 and b"LEVY_WEBHOOK_TOLERANCE_S" in err, (rc, err[-300:]))
        rc, err = usage(["--webhook-tolerance", "-5"], {})
        check("--webhook-tolerance -5 -> exit 2 with a message", rc == 2 and b"--webhook-tolerance" in err, (rc, err[-300:]))
        common.stop(env.levy)
        env.levy_env = {}
        check("levy restarts with the default window", env.start_levy())

        # 7. the simulator's own deliveries pass the new checks
        st, prods, _, _ = env.L("GET", "/v1/products?limit=1")
        pid = prods["data"][0]["id"] if st == 200 and prods.get("data") else "none"
        st, created, text, _ = env.S("POST", "/invoices", {
            "customer_id": doc["customer_id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
            "items": [{"description": "widget", "price": {"product_id": pid, "quantity": 1,
                                                         "amount_per_unit": {"amount": "10.00", "currency": "USD"}}}]}) \
            if doc else (0, None, "", None)
        if check("invoice created in the simulator", st == 200 and created, text[:300]):
            got = common.wait_for(lambda: (lambda x: x[1] if x[0] == 200 else None)(env.L("GET", "/v1/invoices/" + created["id"])), 30)
            check("its simulator delivery (UUID id, RFC 3339 timestamp) reached levy", got, "")

        # 8. the store: every accepted id is there, no refused one is
        common.stop(env.levy)
        c = env.db()  # levy.db, or its database on PostgreSQL (run_on_pg.py)
        ids = set(r[0] for r in c.execute("SELECT delivery_id FROM inbox"))
        c.close()
        check("every accepted delivery is in the inbox", all(w in ids for w in stored), [w for w in stored if w not in ids])
        check("no refused delivery was stored (re-split, bad formats, stale)", not any(w in ids for w in refused),
              [w for w in refused if w in ids])
        check("every stored X-Rillet-Id is a UUID",
              all(len(i) == 36 and i.count("-") == 4 for i in ids), [i for i in ids if len(i) != 36][:5])
    finally:
        common.finish(env)


if __name__ == "__main__":
    main()
    sys.exit(1 if common.failed else 0)
