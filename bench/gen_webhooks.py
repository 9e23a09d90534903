#!/usr/bin/env python3
"""Pre-sign N Rillet webhook deliveries (CONTRACT 2.7) for wrk (bench/wrk/replay.lua).
usage: gen_webhooks.py TOKEN CONNECTION_ID N OUT [--dup] [--host H:P]
Body: a ~2 KB invoice JSON; unique X-Rillet-Id per request unless --dup (one id repeated)."""
import base64, hashlib, hmac, json, sys, uuid, datetime
tok, con, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
dup = "--dup" in sys.argv
host = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "127.0.0.1"
try:
    key = base64.b64decode(tok, validate=True)
except Exception:
    key = tok.encode()
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
fixed = str(uuid.uuid4())
with open(out, "wb") as f:
    for i in range(n):
        did = fixed if dup else str(uuid.uuid4())
        inv_id = str(uuid.UUID(int=(0xbe9c << 112) + i))
        items = [{"id": str(uuid.UUID(int=(0xbe9d << 112) + i * 16 + k)), "description": "Item %d" % k,
                  "price": {"product_id": "prod_bench", "quantity": "1", "amount_per_unit": "%d.00" % (10 + k)},
                  "total_amount": {"amount": "%d.00" % (10 + k), "currency": "USD"}} for k in range(6)]
        body = json.dumps({"id": inv_id, "customer_id": "cust_bench", "subsidiary_id": "sub_bench",
                           "invoice_number": "BENCH-%06d" % i, "invoice_date": "2026-03-01", "status": "OPEN",
                           "currency": "USD", "items": items, "memo": "x" * 200,
                           "updated_at": "2026-03-01T00:00:00.000Z"}, separators=(",", ":")).encode()
        msg = b".".join([ts.encode(), did.encode(), b"INVOICE", b"UPDATED", body])
        sig = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
        head = ("POST /webhooks/rillet/%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                "X-Rillet-Signature: %s\r\nX-Rillet-Timestamp: %s\r\nX-Rillet-Id: %s\r\n"
                "X-Rillet-Entity: INVOICE\r\nX-Rillet-Event: UPDATED\r\nContent-Length: %d\r\n\r\n"
                % (con, host, sig, ts, did, len(body)))
        f.write(head.encode() + body + b"\0\n")
