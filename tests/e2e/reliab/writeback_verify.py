#!/usr/bin/env python3
"""Issue 16, case 2: write-backs are verified; `written` means Rillet holds the tax.

Runs twice, with the simulator's `idempotency_replay_header` switch on (replays carry
`Idempotent-Replayed: true`) and off (a replay looks like any other answer). Invoice webhooks
reach levy. On one invoice X, levy wrote tax A at the import:
  1. A -> B: a full-replace update (Rillet's PUT: the lines lose their tax) with a new first
     line quantity; levy writes B's tax.
  2. B -> A: the revert, again a full replace (tax 0.00). The old Idempotency-Key (id,
     fingerprint, result and the tax Rillet held: all as at the import) was reused, Rillet
     replayed its stored answer for A and applied nothing: levy said `written`, Rillet held
     0.00. The key now includes the document version (`updated_at`).
  3. A full replace with the same content (tax cleared, tax inputs unchanged): levy keeps
     the documents it wrote in line and writes again.
  4. The simulator answers the next tax write with its stored answer to the previous write
     (fault `replay_taxes`): the tax in it matches what levy sends, but it is an old answer.
     levy re-reads the document (GET), sees 0.00 and writes again under a new key.
  5. Every tax write is answered that way: levy gives up after two such answers and marks
     the document `failed` with a reason; POST .../recalculate after the fault is gone
     writes it.
After each step: Rillet holds, per line and in total, the tax levy calculated for the current
content, and levy says `written` with that amount (never `written` while Rillet holds other tax).

Usage: writeback_verify.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19960]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19960

EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}


def put_items(env, iid, quantities):
    """Full-replace update of the invoice (Rillet's PUT): the given first-line quantity, line
    ids and discounts (the amount off a line) kept, no tax on any line."""
    st, inv, text, _ = env.S("GET", "/invoices/" + iid)
    items = []
    for i, it in enumerate(inv["items"]):
        price = {"product_id": it["product_id"], "quantity": quantities[i], "amount_per_unit": it["gross_rate"]}
        disc = it.get("total_discount") or {}
        if disc.get("amount") not in (None, "0", "0.00"):
            price["discount"] = {"type": "AMOUNT", "amount_off": disc}
        items.append({"id": it["id"], "description": it.get("description") or "item", "price": price})
    st, new, text, _ = env.S("PUT", "/invoices/" + iid, {"items": items, "invoice_date": inv["invoice_date"]})
    return st, new, text


def state(env, iid):
    s, si, _, _ = env.S("GET", "/invoices/" + iid)
    s2, d, _, _ = env.L("GET", "/v1/invoices/" + iid)
    return (si if s == 200 else None), (d if s2 == 200 else None)


def held_right(env, iid, quantities, want_total=None):
    """Rillet holds the content `quantities` with the tax levy calculated for it (per line and
    in total), and levy says written with that amount."""
    si, d = state(env, iid)
    if not si or not d:
        return None
    if [str(it["quantity"]) for it in si["items"]] != [str(q) for q in quantities]:
        return None
    lines = {ln["id"]: ln for ln in d.get("lines", [])}
    for it in si["items"]:
        ln = lines.get(it["id"])
        if not ln or str(ln.get("quantity")) != str(it["quantity"]) or ln.get("tax") != it["taxed_amount"]["amount"]:
            return None
    if d["tax_status"] != "written" or d["levy_tax"] != si["taxed_amount"]["amount"]:
        return None
    if want_total is not None and si["taxed_amount"]["amount"] != want_total:
        return None
    return si, d


def settled(env):
    """No simulator delivery pending and no levy job queued or running for documents."""
    dl = env.S("GET", "/_sim/deliveries?state=pending&limit=5")[1]["deliveries"]
    return not dl


def history_has(d, text):
    return any(text in (h.get("message") or "") for h in d.get("history", []))


def run(header):
    tag = "[replay header %s] " % ("on" if header else "off")
    env = common.new_env(LEVY, SRC, "levy-reliab-wbverify-", BASE_PORT + (0 if header else 10), invoices=8)
    try:
        if not check(tag + "simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, cfg, text, _ = env.S("POST", "/_sim/config", {"idempotency_replay_header": header})
        check(tag + "simulator switch idempotency_replay_header=%s" % header,
              st == 200 and cfg.get("idempotency_replay_header") is header, text)
        env.connect(events=EVENTS)

        def written_one():
            s, js, _, _ = env.L("GET", "/v1/invoices?limit=100")
            w = [d for d in (js or {}).get("data", []) if d["tax_status"] == "written"
                 and d["levy_tax"] not in ("0", "0.00") and len(d.get("items", [])) >= 1]
            return w[0] if w else None
        d0 = common.wait_for(written_one, 90, 0.5)
        if not check(tag + "the import wrote tax onto an invoice", d0, ""):
            return
        x = d0["id"]
        common.wait_for(lambda: settled(env), 60, 0.3)
        si, _ = state(env, x)
        qa = [it["quantity"] for it in si["items"]]
        tax_a = si["taxed_amount"]["amount"]
        qb = list(qa)
        qb[0] = (qb[0] + 2) if isinstance(qb[0], int) else str(int(float(qb[0])) + 2)

        # 1. A -> B (full replace, tax cleared)
        st, inv, text = put_items(env, x, qb)
        check(tag + "A -> B: full-replace update leaves 0.00 tax in Rillet",
              st == 200 and inv["taxed_amount"]["amount"] in ("0", "0.00"), text[:300])
        res = common.wait_for(lambda: held_right(env, x, qb), 60, 0.3)
        check(tag + "levy wrote B's tax and Rillet holds it", res, state(env, x))
        tax_b = res[0]["taxed_amount"]["amount"] if res else None
        check(tag + "B's tax differs from A's", tax_b and tax_b != tax_a, (tax_a, tax_b))

        # 2. B -> A (revert, full replace)
        st, inv, text = put_items(env, x, qa)
        check(tag + "B -> A: reverted, 0.00 tax in Rillet", st == 200 and
              inv["taxed_amount"]["amount"] in ("0", "0.00"), text[:300])
        res = common.wait_for(lambda: held_right(env, x, qa, tax_a), 60, 0.3)
        check(tag + "after A -> B -> A Rillet holds A's tax %s again and levy says written" % tax_a,
              res, state(env, x))

        # 3. same content, tax cleared by a full replace
        common.wait_for(lambda: settled(env), 60, 0.3)
        st, inv, text = put_items(env, x, qa)
        check(tag + "same content re-saved (full replace): 0.00 tax in Rillet", st == 200 and
              inv["taxed_amount"]["amount"] in ("0", "0.00"), text[:300])
        res = common.wait_for(lambda: held_right(env, x, qa, tax_a), 60, 0.3)
        check(tag + "levy noticed its tax was gone and wrote it again", res, state(env, x))

        # 4. a stored (replayed) answer to the next tax write: re-read, written again
        common.wait_for(lambda: settled(env), 60, 0.3)
        st, _, text, _ = env.S("POST", "/_sim/faults", {"replay_taxes": 1})
        check(tag + "fault replay_taxes=1 armed", st == 200, text)
        st, inv, text = put_items(env, x, qa)
        res = common.wait_for(lambda: held_right(env, x, qa, tax_a), 60, 0.3)
        check(tag + "a replayed answer is re-read and written again: Rillet holds %s" % tax_a, res, state(env, x))
        f = env.S("GET", "/_sim/faults")[1]
        check(tag + "the replayed answer was served", f.get("replay_taxes") == 0, f)
        if res:
            check(tag + "levy's history says it re-read the document and wrote again",
                  history_has(res[1], "writing again under a new Idempotency-Key"),
                  [h.get("message") for h in res[1]["history"]][-4:])

        # 5. Rillet never holds it: failed with a reason, then recalculate
        common.wait_for(lambda: settled(env), 60, 0.3)
        env.S("POST", "/_sim/faults", {"replay_taxes": 50})
        st, inv, text = put_items(env, x, qb)

        def failed():
            _, d = state(env, x)
            return d if d and d["tax_status"] == "failed" else None
        d = common.wait_for(failed, 60, 0.3)
        check(tag + "Rillet acknowledges but never holds the tax: levy says failed, not written", d, state(env, x)[1])
        if d:
            check(tag + "the reason names what Rillet holds and what levy calculated",
                  "does not hold" in (d.get("last_error") or "") and "0.00" in d["last_error"], d.get("last_error"))
        si, d = state(env, x)
        check(tag + "Rillet still holds 0.00 (so levy must not say written)",
              si["taxed_amount"]["amount"] in ("0", "0.00") and d["tax_status"] != "written", (si["taxed_amount"], d["tax_status"]))
        env.S("DELETE", "/_sim/faults")
        st, _, text, _ = env.L("POST", "/v1/invoices/%s/recalculate" % x)
        check(tag + "POST .../recalculate -> 202", st == 202, text)
        res = common.wait_for(lambda: held_right(env, x, qb, tax_b), 60, 0.3)
        check(tag + "after the fault, recalculate writes B's tax %s and Rillet holds it" % tax_b, res, state(env, x))
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            import shutil
            shutil.rmtree(env.tmp, ignore_errors=True)


def main():
    run(True)
    run(False)
    sys.exit(common.summary())


if __name__ == "__main__":
    main()
