#!/usr/bin/env python3
"""Issue 20 (tokens22): named API tokens, so the audit log tells people apart.

Usage: named_tokens.py LEVY_BINARY SOURCE_DIR [BASE_PORT=46400]

One levy serve (no simulator needed). With the configured API token:
  * POST /v1/tokens {"name": "Alice"} and {"name": "Bob"}: 201 with the token ("lvt_…") once;
    GET /v1/tokens lists both (name, created_at, created_by "API token", last_used_at) and
    never a token or a hash; a second live "Alice" is 409, bad names 422, a missing / wrong
    bearer 401, an unknown name's DELETE 404;
  * a change made with each (PUT /v1/regions/US-CA with Alice's, PUT /v1/settings with Bob's)
    is in GET /v1/audit as "Alice's token" / "Bob's token" (actor_kind named_token); a UI
    session opened with Alice's token (POST /v1/session {"api_token": …}) is "UI session of
    Alice <8 hex>"; token.created / token.revoked rows name who did them;
  * DELETE /v1/tokens/Alice (by Bob, an admin token) → 200; from the next request on Alice's token and her session are
    401, Bob's token and the configured API token still 200; "Alice" may be given again;
  * the audit log by person (person20): GET /v1/audit?person=Alice lists the rows of Alice's
    token and of her UI session (levy.audit's rows and the host's own), never Bob's nor
    those of "Al" and his session; after her token is revoked and the name given again, both
    tokens' rows; the CSV has a person column; a bad person is 422;
  * the CLI on the running levy's store: `levy token create --name "Carol Ng"` prints a token
    that the running levy takes at once, `levy token list` shows it, `levy token revoke` stops
    it at once; the CLI's audit rows (actor_kind cli); usage errors exit 2, unknown name 1;
  * a read-only token ("read_only": true, `levy token create --read-only`) and its UI session
    read (GET) and are answered 403 read_only on any change (PUT, POST, DELETE, /admin/reload),
    but may sign out;
  * the store keeps the SHA-256 only: no token text in any table, nor in levy's log.
Runs on SQLite and, through tests/pg/run_on_pg.py, on PostgreSQL (reliab_named_tokens_pg).
"""
import hashlib
import os
import subprocess
import sys
import urllib.parse

import common
import harness
from common import check

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 46400
SELLER = {"line1": "1 Market St", "city": "San Francisco", "state": "CA", "zip_code": "94105", "country": "US"}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-tokens-", BASE_PORT)
    with common.running(env):
        if check("levy starts", env.start_levy()):
            run(env)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def audit(env, query):
    st, js, text, _ = harness.req("GET", env.levy_url + "/v1/audit?" + query + "&limit=200", None,
                                  bearer(env.token))
    if st != 200:
        raise RuntimeError("GET /v1/audit?%s: %s %s" % (query, st, text))
    return js["data"]


def cli(env, *args):
    e = dict(os.environ)
    if env.pg_url:
        e["LEVY_DATABASE_URL"] = env.pg_url
    p = subprocess.run([LEVY, "token"] + list(args) + ["--data-dir", env.levy_dir], env=e,
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=harness.pdeathsig_preexec())
    return p.returncode, p.stdout, p.stderr


def all_text(env):
    """Every text value of every table of the store, but api_tokens' hash column."""
    c = harness.store(env.levy_dir)
    try:
        if env.pg_url:
            tables = [r[0] for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", ()).fetchall()]
        else:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        out = []
        for t in tables:
            for row in c.execute("SELECT * FROM %s" % t, ()).fetchall():
                out += [str(v) for v in row if v is not None]
        return "\n".join(out)
    finally:
        c.close()


def run(env):
    L = env.levy_url
    # -- the admin API: create, list, refusals
    st, _, text, _ = harness.req("GET", L + "/v1/tokens")
    check("GET /v1/tokens without a bearer: 401", st == 401, "%s %s" % (st, text))
    toks = {}
    # Bob is an admin (tokens23: only an admin may revoke Alice's token, below)
    for name, body in (("Alice", {"name": "Alice"}), ("Bob", {"name": "Bob", "role": "admin"})):
        st, js, text, hd = harness.req("POST", L + "/v1/tokens", body, bearer(env.token))
        check("POST /v1/tokens %s: 201 with a token shown once" % name,
              st == 201 and js and js.get("name") == name and str(js.get("token", "")).startswith("lvt_")
              and js.get("created_by") == "API token" and js.get("last_used_at") is None
              and js.get("read_only") is False and js.get("role") == ("admin" if name == "Bob" else "full"),
              "%s %s" % (st, text))
        check("POST /v1/tokens answer is not cached", (hd or {}).get("Cache-Control") == "no-store", hd)
        toks[name] = (js or {}).get("token", "x" * 47)
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", {"name": "Alice"}, bearer(env.token))
    check("a second live token named Alice: 409 conflict", st == 409 and js["error"]["code"] == "conflict",
          "%s %s" % (st, text))
    for body, what in (({"name": ""}, "empty"), ({"name": " Al"}, "leading space"), ({"name": "a/b"}, "slash"),
                       ({"name": "x" * 65}, "65 bytes"), ({"name": 3}, "a number"), ({}, "missing"),
                       ({"name": "Al", "admin": True}, "unknown field"), ({"name": "a\u0001"}, "control"),
                       ({"name": "Al", "read_only": "yes"}, "read_only not a boolean")):
        st, js, text, _ = harness.req("POST", L + "/v1/tokens", body, bearer(env.token))
        check("POST /v1/tokens with a bad name (%s): 422 validation_failed" % what,
              st == 422 and js and js["error"]["code"] == "validation_failed" and js["error"]["message"],
              "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", None, bearer(env.token), raw="{nope")
    check("POST /v1/tokens not JSON: 400 invalid_json", st == 400 and js["error"]["code"] == "invalid_json", text)
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", {"name": "Mallory"}, bearer("lvt_" + "A" * 43))
    check("POST /v1/tokens with a made-up lvt_ token: 401", st == 401, "%s %s" % (st, text))
    st, js, text, _ = harness.req("GET", L + "/v1/tokens", None, bearer(env.token))
    names = [t["name"] for t in (js or {}).get("tokens", [])]
    check("GET /v1/tokens lists Alice and Bob, oldest first", st == 200 and names == ["Alice", "Bob"], text)
    check("GET /v1/tokens shows no token and no hash",
          all(set(t) == {"name", "created_at", "created_by", "last_used_at", "read_only", "role"} for t in js["tokens"])
          and toks["Alice"] not in text and hashlib.sha256(toks["Alice"].encode()).hexdigest() not in text, text)

    # -- a change with each named token, and with a UI session opened with Alice's
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True},
                                 bearer(toks["Alice"]))
    check("Alice's token opens the API: PUT /v1/regions/US-CA 200", st == 200, "%s %s" % (st, text))
    st, _, text, _ = harness.req("PUT", L + "/v1/settings", {"seller_address": SELLER}, bearer(toks["Bob"]))
    check("Bob's token opens the API: PUT /v1/settings 200", st == 200, "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/v1/session", {"api_token": toks["Alice"]})
    check("Alice's token opens a UI session", st == 201 and js and js.get("session_token"), "%s %s" % (st, text))
    sess = (js or {}).get("session_token", "lvs_x")
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-NY", {"subscribed": True, "tax_calculation": True},
                                 bearer(sess))
    check("Alice's UI session: PUT /v1/regions/US-NY 200", st == 200, "%s %s" % (st, text))
    rows = audit(env, "action=region.updated&object_kind=region&object_id=US-CA")
    check("the region change is Alice's token's (named_token)",
          len(rows) == 1 and rows[0]["actor"] == "Alice's token" and rows[0]["actor_kind"] == "named_token", rows)
    rows = audit(env, "action=settings.updated")
    check("the settings change is Bob's token's",
          len(rows) == 1 and rows[0]["actor"] == "Bob's token" and rows[0]["actor_kind"] == "named_token", rows)
    rows = audit(env, "action=region.updated&object_kind=region&object_id=US-NY")
    check("the change made in Alice's UI session names her: 'UI session of Alice <8 hex>'",
          len(rows) == 1 and rows[0]["actor_kind"] == "ui_session"
          and rows[0]["actor"].startswith("UI session of Alice ") and len(rows[0]["actor"]) == len("UI session of Alice ") + 8,
          rows)
    rows = audit(env, "action=token.created")
    check("token.created rows for Alice and Bob, by the API token",
          sorted(r["object_id"] for r in rows) == ["Alice", "Bob"] and all(r["actor"] == "API token" for r in rows)
          and all(r["object_kind"] == "token" for r in rows), rows)
    st, js, text, _ = harness.req("GET", L + "/v1/tokens", None, bearer(env.token))
    used = {t["name"]: t["last_used_at"] for t in (js or {}).get("tokens", [])}
    check("GET /v1/tokens: Alice and Bob have a last_used_at", used.get("Alice") and used.get("Bob"), text)

    # -- the audit log by person (person20): ?person=Alice lists her token's rows and her
    # sessions', never Bob's nor those of a person named "Al"; rows from the host's C routes
    # (a token revoked, below) and from levy.audit (a region, the settings) alike
    st, js, text, _ = harness.req("POST", L + "/v1/session", {"api_token": toks["Bob"]})
    bsess = (js or {}).get("session_token", "lvs_x")
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-WA", {"subscribed": True, "tax_calculation": True},
                                 bearer(bsess))
    check("Bob's UI session: PUT /v1/regions/US-WA 200", st == 200, "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", {"name": "Al"}, bearer(env.token))
    al = (js or {}).get("token", "x")
    st2, _, text2, _ = harness.req("PUT", L + "/v1/regions/US-OR", {"subscribed": True}, bearer(al))
    check("a token named Al changes US-OR", st == 201 and st2 == 200, "%s %s / %s %s" % (st, text, st2, text2))
    st, js, text, _ = harness.req("POST", L + "/v1/session", {"api_token": al})
    alsess = (js or {}).get("session_token", "lvs_x")
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-NV", {"subscribed": True}, bearer(alsess))
    check("Al's UI session changes US-NV", st == 200, "%s %s" % (st, text))

    def who(rows):
        return sorted((r["actor_kind"], r["action"], r["object_id"] or "") for r in rows)

    rows = audit(env, "person=Alice")
    check("?person=Alice: her token's region change and her session's, nothing else",
          who(rows) == [("named_token", "region.updated", "US-CA"), ("ui_session", "region.updated", "US-NY")]
          and all(r["person"] == "Alice" for r in rows), rows)
    rows = audit(env, "person=Bob")
    check("?person=Bob: his token's settings change and his session's region change",
          who(rows) == [("named_token", "settings.updated", ""), ("ui_session", "region.updated", "US-WA")]
          and all(r["person"] == "Bob" for r in rows), rows)
    rows = audit(env, "person=Al")
    check("?person=Al: Al's two rows only (not Alice's)",
          who(rows) == [("named_token", "region.updated", "US-OR"), ("ui_session", "region.updated", "US-NV")], rows)
    rows = audit(env, "person=Alice&object_id=US-NY")
    check("?person= combines with the other filters", who(rows) == [("ui_session", "region.updated", "US-NY")], rows)
    check("?person=Nobody: no rows", audit(env, "person=Nobody") == [], "")
    check("?person=alice (another case): no rows, names are exact", audit(env, "person=alice") == [], "")
    rows = audit(env, "action=token.created&object_id=Al")
    check("rows of the configured API token name no person", len(rows) == 1 and rows[0]["person"] is None, rows)
    for q, what in (("person=" + "x" * 65, "65 bytes"), ("person=a%01b", "a control character")):
        st, js, text, _ = harness.req("GET", L + "/v1/audit?" + q, None, bearer(env.token))
        check("GET /v1/audit?person= with %s: 422 validation_failed naming person" % what,
              st == 422 and js and js["error"]["code"] == "validation_failed" and "person" in text,
              "%s %s" % (st, text))
    st, _, text, hd = harness.req("GET", L + "/v1/audit?person=Bob&format=csv", None, bearer(env.token))
    lines = [x for x in (text or "").split("\r\n") if x]
    check("?person=Bob&format=csv: a person column, Bob's rows only",
          st == 200 and lines and lines[0].endswith(",request_id,person") and len(lines) > 1
          and all(x.endswith(",Bob") for x in lines[1:]) and not any("Alice" in x for x in lines), text)
    st, _, text, _ = harness.req("DELETE", L + "/v1/tokens/Al", None, bearer(env.token))
    check("Al's token revoked (by the API token)", st == 200, "%s %s" % (st, text))

    # -- a read-only token (and its UI session) may look, not change anything
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", {"name": "Auditor", "read_only": True}, bearer(env.token))
    check("POST /v1/tokens read_only: 201, read_only true", st == 201 and js and js.get("read_only") is True,
          "%s %s" % (st, text))
    aud = (js or {}).get("token", "x")
    st, _, text, _ = harness.req("GET", L + "/v1/audit?limit=5", None, bearer(aud))
    check("the read-only token reads: GET /v1/audit 200", st == 200, "%s %s" % (st, text))
    for m, path, body in (("PUT", "/v1/settings", {"seller_address": SELLER}), ("POST", "/v1/tokens", {"name": "Eve"}),
                          ("DELETE", "/v1/tokens/Bob", None), ("POST", "/admin/reload", None),
                          ("PUT", "/v1/regions/US-WA", {"subscribed": True})):
        st, js, text, _ = harness.req(m, L + path, body, bearer(aud))
        check("the read-only token cannot %s %s: 403 read_only" % (m, path),
              st == 403 and js and js["error"]["code"] == "read_only", "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", L + "/v1/session", {"api_token": aud})
    asess = (js or {}).get("session_token", "lvs_x")
    check("the read-only token opens a UI session", st == 201, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/settings", None, bearer(asess))
    check("its session reads: GET /v1/settings 200", st == 200, "%s %s" % (st, text))
    st, js, text, _ = harness.req("PUT", L + "/v1/settings", {"seller_address": SELLER}, bearer(asess))
    check("its session cannot change: PUT /v1/settings 403 read_only",
          st == 403 and js and js["error"]["code"] == "read_only", "%s %s" % (st, text))
    st, _, text, _ = harness.req("DELETE", L + "/v1/session", None, bearer(asess))
    check("its session may sign out: DELETE /v1/session 204", st == 204, "%s %s" % (st, text))
    check("the read-only token made no audit row but its creation",
          [r["action"] for r in audit(env, "object_kind=token&object_id=Auditor")] == ["token.created"]
          and not [r for r in audit(env, "actor=Auditor%27s%20token")], "")
    st, js, text, _ = harness.req("GET", L + "/v1/tokens", None, bearer(env.token))
    ro = {t["name"]: t["read_only"] for t in (js or {}).get("tokens", [])}
    check("GET /v1/tokens: Auditor read-only, Alice and Bob not",
          ro == {"Alice": False, "Bob": False, "Auditor": True}, text)

    # -- revoke Alice (by Bob): her token and her session stop at once; Bob and the API token go on
    st, _, text, _ = harness.req("DELETE", L + "/v1/tokens/Nobody", None, bearer(env.token))
    check("DELETE /v1/tokens/Nobody: 404", st == 404, "%s %s" % (st, text))
    st, _, text, _ = harness.req("DELETE", L + "/v1/tokens/Alice", None)
    check("DELETE /v1/tokens/Alice without a bearer: 401", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("DELETE", L + "/v1/tokens/Alice", None, bearer(toks["Bob"]))
    check("DELETE /v1/tokens/Alice by Bob (an admin token): 200", st == 200, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(toks["Alice"]))
    check("Alice's revoked token: 401 at once", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(sess))
    check("the UI session opened with Alice's token: 401 at once", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("POST", L + "/v1/session", {"api_token": toks["Alice"]})
    check("Alice's revoked token opens no new session: 401", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(toks["Bob"]))
    check("Bob's token still works", st == 200, "%s %s" % (st, text))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(env.token))
    check("the configured API token still works", st == 200, "%s %s" % (st, text))
    rows = audit(env, "action=token.revoked&object_id=Alice")
    check("token.revoked of Alice by Bob's token",
          len(rows) == 1 and rows[0]["object_id"] == "Alice" and rows[0]["actor"] == "Bob's token"
          and rows[0]["changes"].get("state", {}).get("after") == "revoked", rows)
    st, js, text, _ = harness.req("GET", L + "/v1/tokens", None, bearer(env.token))
    check("GET /v1/tokens lists Bob and Auditor", st == 200 and [t["name"] for t in js["tokens"]] == ["Bob", "Auditor"],
          text)
    st, js, text, _ = harness.req("POST", L + "/v1/tokens", {"name": "Alice"}, bearer(env.token))
    check("the name Alice may be given again after revocation (a new token)",
          st == 201 and js and js.get("token") != toks["Alice"], "%s %s" % (st, text))
    toks["Alice2"] = (js or {}).get("token", "")
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(toks["Alice"]))
    check("the old Alice token stays refused", st == 401, "%s %s" % (st, text))
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-CO", {"subscribed": True}, bearer(toks["Alice2"]))
    check("the new Alice token changes US-CO", st == 200, "%s %s" % (st, text))
    rows = audit(env, "person=Alice")
    check("?person=Alice after her token was revoked and the name given again: the old rows and the new one",
          sorted(r["object_id"] for r in rows) == ["US-CA", "US-CO", "US-NY"], rows)
    rows = audit(env, "person=Bob&action=token.revoked")
    check("?person=Bob lists his revocation of Alice (a host C route's row)",
          len(rows) == 1 and rows[0]["object_id"] == "Alice" and rows[0]["person"] == "Bob", rows)

    # -- the CLI, on the running levy's store
    rc, out, err = cli(env, "create", "--name", "Carol Ng")
    carol = out.strip()
    check("levy token create --name 'Carol Ng': exit 0, the token alone on stdout",
          rc == 0 and carol.startswith("lvt_") and len(carol) == 47, "%s %r %r" % (rc, out, err))
    st, _, text, _ = harness.req("PUT", L + "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True},
                                 bearer(carol))
    check("the running levy takes Carol's token at once", st == 200, "%s %s" % (st, text))
    rows = audit(env, "action=region.updated&object_kind=region&object_id=US-TX")
    check("the change is Carol Ng's token's", len(rows) == 1 and rows[0]["actor"] == "Carol Ng's token", rows)
    rows = [r for r in audit(env, "action=token.created") if r["object_id"] == "Carol Ng"]
    check("token.created of Carol Ng by the CLI (actor_kind cli)",
          len(rows) == 1 and rows[0]["actor_kind"] == "cli" and rows[0]["actor"].startswith("levy token create"),
          rows)
    rc, out, err = cli(env, "list")
    check("levy token list: exit 0, lists Bob, Alice and Carol Ng, no token",
          rc == 0 and "Bob" in out and "Carol Ng" in out and "Alice" in out and carol not in out,
          "%s %r %r" % (rc, out, err))
    rc, out, err = cli(env, "create", "--name", "ci-reader", "--read-only")
    reader = out.strip()
    st, _, _, _ = harness.req("GET", L + "/v1/regions", None, bearer(reader))
    st2, _, _, _ = harness.req("PUT", L + "/v1/regions/US-TX", {"subscribed": True}, bearer(reader))
    check("levy token create --read-only: a token that reads (200) and cannot change (403)",
          rc == 0 and reader.startswith("lvt_") and (st, st2) == (200, 403), "%s %r %s %s" % (rc, err, st, st2))
    rc, out, err = cli(env, "list")
    line = [x for x in out.splitlines() if x.startswith("ci-reader")]
    check("levy token list says ci-reader is read-only and Carol Ng full",
          line and "read-only" in line[0] and any(x.startswith("Carol Ng") and " full " in x for x in out.splitlines()),
          out)
    rc, out, err = cli(env, "create", "--name", "Carol Ng")
    check("levy token create of a live name: exit 1", rc == 1 and "exists" in err, "%s %r" % (rc, err))
    rc, out, err = cli(env, "revoke", "Nobody")
    check("levy token revoke of an unknown name: exit 1", rc == 1 and "no token named" in err, "%s %r" % (rc, err))
    for args, what in ((["create"], "create without --name"), (["frob"], "unknown action"),
                       (["revoke"], "revoke without a name"), (["create", "--name", ""], "an empty name"),
                       (["list", "--name", "x"], "--name with list"), (["create", "--nme", "x"], "a wrong flag"),
                       (["revoke", "Bob", "--read-only"], "--read-only with revoke")):
        rc, out, err = cli(env, *args)
        check("levy token %s: exit 2, one line naming levy token --help" % what,
              rc == 2 and "levy token --help" in err and err.count("\n") == 1, "%s %r" % (rc, err))
    rc, out, err = cli(env, "revoke", "Carol Ng")
    check("levy token revoke 'Carol Ng': exit 0", rc == 0, "%s %r %r" % (rc, out, err))
    st, _, text, _ = harness.req("GET", L + "/v1/regions", None, bearer(carol))
    check("the running levy refuses Carol's revoked token at once", st == 401, "%s %s" % (st, text))

    # -- secrets: the store keeps hashes only, the log has no token
    text = all_text(env)
    for name, t in list(toks.items()) + [("Carol", carol)]:
        check("no table holds %s's token text" % name, t not in text)
    c = harness.store(env.levy_dir)
    try:
        hashes = {r[0] for r in c.execute("SELECT hash FROM api_tokens", ()).fetchall()}
    finally:
        c.close()
    check("api_tokens holds each token's SHA-256",
          all(hashlib.sha256(t.encode()).hexdigest() in hashes for t in list(toks.values()) + [carol]), hashes)
    log = open(os.path.join(env.tmp, "levy.log"), errors="replace").read()
    check("levy's log holds no token", all(t not in log for t in list(toks.values()) + [carol]))
    # URL-encoded names: revoke "Bob" through an encoded path too
    st, _, text, _ = harness.req("DELETE", L + "/v1/tokens/" + urllib.parse.quote("Bob"), None, bearer(env.token))
    check("DELETE /v1/tokens/Bob: 200", st == 200, "%s %s" % (st, text))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
