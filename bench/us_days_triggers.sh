#!/usr/bin/env bash
# What the exposure day sums' triggers (rillet migrations 0026 / 0028) add to a document's
# write, in instructions (callgrind: repeatable on a busy machine, unlike a wall clock).
#
# Usage (inside `unshare -n`, as levy serve listens):
#   bench/us_days_triggers.sh LEVY SRC [N]
# LEVY/SRC: a levy build and its source tree (scripts/, plugins/): a fresh store is made by
# that levy (its migrations), then the same N documents (default 2000; each: its calculation,
# its calculation's head, the invoice, USD, shipped to a US state, 100 customers) are written
# by the sqlite3 shell under callgrind, and then each invoice's net_amount changed:
#   none:     the store with its us_days triggers dropped (the baseline)
#   kept:     with them (0028: per day and state; 0026 on a store of an older levy: per customer)
#   others:   with them and 5 other customers tracked (a marketplace's few: these documents'
#             customers are not; 0029 keeps their per-customer triggers from running)
#   tracked:  with them and the documents' customers tracked (0028: rillet_us_days_cust too)
# Each variant runs with N and 2N documents: per document = (Ir(2N) - Ir(N)) / N (the shell's
# start and the schema's parse, longer with the triggers' text, cancel out). Prints, per
# variant and phase, that and its excess over the baseline. Nothing is left behind (a
# temporary directory, removed).
set -euo pipefail
LEVY=$(readlink -f "$1"); SRC=$(readlink -f "$2"); N=${3:-2000}
TMP=$(mktemp -d /tmp/us_days_triggers.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PORT=${PORT:-47790}

# a fresh store: levy serve runs its migrations, then stops
mkdir -p "$TMP/store"
LEVY_API_TOKEN=us-days-triggers-0123456789 "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/store" \
  --scripts "$SRC/scripts" --plugins "$SRC/plugins" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 600); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
kill "$PID"; wait "$PID" || true
DB="$TMP/store/levy.db"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
echo "store: rillet migration $(sqlite3 "$DB" "SELECT max(version) FROM schema_migrations WHERE plugin = 'rillet'")," \
  "us_days triggers: $(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%us_days%'")"

sqlfiles() { # $1: the number of documents
  cat >"$TMP/insert$1.sql" <<EOF
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)
INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at, created_ms)
  SELECT 'calc_b' || i, 'invoice', 'inv_b' || i, 'f', '{}', '{}', 'US-NY', 'x', 0 FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)
INSERT INTO rillet_calc_heads(calculation_id, has_result, readable, total_amount, ship_country, ship_state)
  SELECT 'calc_b' || i, 1, 1, (i * 7 % 100000) || '.' || substr('0' || (i % 100), -2), 'US',
    CASE i % 4 WHEN 0 THEN 'NY' WHEN 1 THEN 'TX' WHEN 2 THEN 'CA' ELSE 'WA' END FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)
INSERT INTO invoices(id, connection_id, customer_id, currency, doc_date, raw, region, tax_status, imported_at,
    calculation_id, net_amount)
  SELECT 'inv_b' || i, 'conn_b', 'cust_b' || (i % 100), 'USD', '2026-0' || (1 + i % 9) || '-1' || (i % 10), '{}',
    'US-NY', 'written', 'x', 'calc_b' || i, (i * 3 % 100000) || '.' || substr('0' || (i % 100), -2) FROM s;
COMMIT;
EOF
  cat >"$TMP/update$1.sql" <<EOF
BEGIN;
UPDATE invoices SET net_amount = (CAST(net_amount AS INTEGER) + 1) || '.00' WHERE id LIKE 'inv_b%';
COMMIT;
EOF
}
sqlfiles "$N"
sqlfiles $((2 * N))

ir() { # the instructions of: sqlite3 DB < SQL
  valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" sqlite3 "$1" <"$2" >/dev/null 2>"$TMP/cg.err"
  grep -E '^(summary|totals):' "$TMP/cg.out" | head -1 | awk '{print $2}'
}
variant() { # $1: variant, $2: the database made from the fresh store
  cp "$DB" "$2"
  case $1 in
  none)
    for t in $(sqlite3 "$2" "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%us_days%'"); do
      sqlite3 "$2" "DROP TRIGGER $t"
    done ;;
  others)
    sqlite3 "$2" "INSERT INTO rillet_us_days_track(customer_id, ready) VALUES ('cust_m1', 1), ('cust_m2', 1),
      ('cust_m3', 1), ('cust_m4', 1), ('cust_m5', 1)" ;;
  tracked)
    sqlite3 "$2" "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 99)
      INSERT INTO rillet_us_days_track(customer_id, ready) SELECT 'cust_b' || i, 1 FROM s" ;;
  esac
  # rillet 0030: a ready customer's counting is done (phase 2); without it the triggers would
  # take the customers as not counted yet and skip them
  if sqlite3 "$2" "SELECT phase FROM rillet_us_days_track LIMIT 0" >/dev/null 2>&1; then
    sqlite3 "$2" "UPDATE rillet_us_days_track SET phase = 2 WHERE ready = 1"
  fi
}
declare -A BASE
for v in ${VARIANTS:-none kept others tracked}; do
  if [ $v != none ] && [ $v != kept ] && ! sqlite3 "$DB" "SELECT 1 FROM rillet_us_days_track LIMIT 0" >/dev/null 2>&1; then continue; fi
  variant $v "$TMP/$v.db"
  variant $v "$TMP/$v.2.db"
  for phase in insert update; do
    a=$(ir "$TMP/$v.db" "$TMP/$phase$N.sql")
    b=$(ir "$TMP/$v.2.db" "$TMP/$phase$((2 * N)).sql")
    per=$(((b - a) / N))
    [ "$v" = none ] && BASE[$phase]=$per
    printf '%-8s %-7s Ir per document: %8d  over none: %8d\n' "$v" "$phase" "$per" $((per - BASE[$phase]))
  done
done
if [ -f "$TMP/kept.2.db" ]; then
  echo "rows kept for $((2 * N)) documents: $(sqlite3 "$TMP/kept.2.db" "SELECT count(*) FROM rillet_us_days")" \
    "(tracked: $(sqlite3 "$TMP/tracked.2.db" "SELECT count(*) FROM rillet_us_days_cust" 2>/dev/null || echo -) per customer)"
fi
