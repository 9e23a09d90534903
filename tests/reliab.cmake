# Reliability tests (issue 9): kill -9 loop, write-back exactly-once, HTTP robustness.
# Short CI versions here; the long runs are the same scripts with a bigger cycle count
# (see tests/soak/README.md).
find_program(PYTHON3 python3)
# levy_reliab_test(NAME SCRIPT TIMEOUT ARGS...): tests/e2e/reliab/SCRIPT.py LEVY SRC ARGS...
function(levy_reliab_test name script timeout)
  if(PYTHON3 AND TARGET levy)
    add_test(NAME ${name}
             COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab/${script}.py
                     $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} ${ARGN}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    # LEVY_TEST_TIMEOUT: tests/e2e/harness.py raises OutOfTime 20 s before ctest's TIMEOUT so
    # a stuck wait still reports and stops its levy / sim (a test that adds variables of its own
    # appends them: set_property(TEST ... APPEND PROPERTY ENVIRONMENT ...))
    set_tests_properties(${name} PROPERTIES LABELS "e2e;reliab" TIMEOUT ${timeout}
                         ENVIRONMENT "LEVY_TEST_TIMEOUT=${timeout}")
  endif()
endfunction()
levy_reliab_test(reliab_kill9 kill9 300 20 19000)
levy_reliab_test(reliab_writeback_kill writeback_kill 300 20 19020)
levy_reliab_test(reliab_http_robust http_robust 120 19040 1000)
levy_reliab_test(reliab_authz_matrix authz_matrix 120 19060)
levy_reliab_test(reliab_rates_update rates_update 180 22800)

# libFuzzer (clang, ASan + UBSan) over the webhook verification path, the levy.json codec, the
# tax decimal parser, the /v1/calculate request mapper and the Rillet mapping + Retry-After
# parser (Lua, over the real bindings), and the HTTP request gate (issue 15): 60 s each in CI (issue 9), built by
# the script with clang whatever compiler builds levy (.ci/deps.sh --test installs clang).
# Longer: tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_webhook_verify 600
find_program(LEVY_CLANG clang)
find_program(LEVY_SH sh)
if(LEVY_CLANG AND LEVY_SH)
  foreach(fz fuzz_webhook_verify fuzz_json_codec fuzz_tax_decimal fuzz_tax_request fuzz_rillet_mapping
             fuzz_http_gate)
    add_test(NAME reliab_${fz}
             COMMAND ${LEVY_SH} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_reliab_fuzz.sh ${CMAKE_SOURCE_DIR}
                     ${CMAKE_BINARY_DIR}/reliab-fuzz ${fz} 60
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    # 60 s of fuzzing after a clang ASan build of its sources: the build's time follows the
    # machine's load (the two tax targets share one build of core/tax, the second waiting for the
    # first's: tests/fuzz/run_reliab_fuzz.sh tax_objs), and a clean-clone CI beside
    # a CPU hog timed both out at 300 s; the fuzzing itself stays 60 s.
    # COST: at least its 60 s of fuzzing, whatever the build takes (tests/costs.txt, measured,
    # overrides it), so the fuzzers start early instead of last
    set_tests_properties(reliab_${fz} PROPERTIES LABELS "fuzz;reliab" TIMEOUT 900 COST 60)
  endforeach()
  # issue 15: the HTTP request path (evhttp + core/http/server.c and core/host/routes.c over
  # a real host, token-leak and one-response-per-request properties) and the rule loader
  # (gen.c + sandbox, budget, capability-escape probes). Both link all of core/ built with coverage (the first run
  # compiles it, about 30 s on 2 cores, into reliab-fuzz/core-objs shared by both, hence one
  # RESOURCE_LOCK), and fuzz for 30 s each in CI. Longer:
  #   tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_http_request 600
  foreach(fz fuzz_http_request fuzz_rule_load)
    add_test(NAME reliab_${fz}
             COMMAND ${LEVY_SH} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run_reliab_fuzz.sh ${CMAKE_SOURCE_DIR}
                     ${CMAKE_BINARY_DIR}/reliab-fuzz ${fz} 30
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    set_tests_properties(reliab_${fz} PROPERTIES LABELS "fuzz;reliab" TIMEOUT 400 COST 30
                         RESOURCE_LOCK levy_fuzz_core_objs)
  endforeach()
endif()
# issue 15 findings 6, 7: range checks (422 naming the field) and currencies of every exponent
# through the rules that compare unit prices, over the API and `levy calc`
levy_reliab_test(reliab_tax_ranges tax_ranges 240 19700)
levy_reliab_test(reliab_io_fault_http io_fault_http 120 19080 3)
levy_reliab_test(reliab_list_limit list_limit 180 19090 600)
levy_reliab_test(reliab_rate_limit rate_limit 180 19400 800)
levy_reliab_test(reliab_customer_webhooks customer_webhooks 120 19470)
levy_reliab_test(reliab_scheduled_sweep scheduled_sweep 240 19480)
levy_reliab_test(reliab_retry_storm retry_storm 180 19500 20)
levy_reliab_test(reliab_give_up give_up 240 19520)
# a long POST-only outage (reads pass, so they re-closed the key's circuit breaker) gives up on
# no write-back: only a document's own failures are attempts, writes have their own circuit
# (reliab_give_up's flake under load). Ports 41000-41009; the outage lasts 90 s.
levy_reliab_test(reliab_writeback_outage writeback_outage 420 41000 90)
levy_reliab_test(reliab_store_guard store_guard 300 19750)
# a store over LEVY_STORE_CHECK_START_MB is checked while levy serves (issue 20: start at 1M documents)
levy_reliab_test(reliab_store_check_late store_check_late 300 41220)
# R1 lint: MACs and secrets compared in constant time only (no memcmp/strcmp, no Lua ==)
find_program(LEVY_SH_LINT sh)
if(LEVY_SH_LINT)
  add_test(NAME lint_ct_compare COMMAND ${LEVY_SH_LINT} ${CMAKE_CURRENT_SOURCE_DIR}/lint_ct_compare.sh ${CMAKE_SOURCE_DIR})
  set_tests_properties(lint_ct_compare PROPERTIES LABELS "unit;reliab" TIMEOUT 30)
endif()
# Issue 15, findings 12, 15, 16 (auth): API token rule and file, one-time sign-in codes and
# browser sessions (incl. `levy demo`), the Sphere endpoint's scoped key. Ports 19800-19849.
levy_reliab_test(reliab_api_token api_token 180 19800)
levy_reliab_test(reliab_signin signin 240 19815)
levy_reliab_test(reliab_sphere_key sphere_key 120 19830)
# Issue 15 findings 2 and 3: __gc finalizers and rule-data metatables refused at load
levy_reliab_test(reliab_lua_sandbox lua_sandbox 300 19650)
# Issue 18: scripts/_lib/, the rules' shared helper folder (the test writes its own module), through
# `levy check` and a reload; _lib has the rules' restrictions. Ports 21100-21149.
levy_reliab_test(reliab_rules_lib rules_lib 240 21100)
levy_reliab_test(reliab_json_strict json_strict 120 19850)
levy_reliab_test(reliab_webhook_replay webhook_replay 180 19860)
levy_reliab_test(reliab_http_limits http_limits 300 19600)
# Issue 16 (verify): the sweep repairs a lost webhook (watermark = start of the last complete
# pull minus an overlap); write-backs verified against what Rillet holds (A -> B -> A, replays).
# Ports 19950-19979.
levy_reliab_test(reliab_sweep_lost_webhook sweep_lost_webhook 240 19950)
levy_reliab_test(reliab_writeback_verify writeback_verify 300 19960)
levy_reliab_test(reliab_reconcile reconcile 360 19975)
# Issue 16 (tests): "a month of Rillet" — a seeded scenario (create, edit, revert, pay, credit,
# void, delete; 5 % of deliveries dropped, the webhook off for a day, two documents taxed by
# hand, a period closed, a replayed tax write, one kill -9 of levy), then a sweep and a
# reconciliation; document by document Rillet's tax equals levy's rules for the final
# content or levy reports a plausible reason; nothing written into the closed period, every
# deletion noticed, nothing failed. Args: SEED SIZE BASE_PORT (ports 20040-20044);
# RELIAB_SEED=n overrides the seed. About 10-25 s idle. Longer runs: tests/soak/README.md.
# (It was left out while a sweep could never reach the credit memos: fixed in sync.lua.)
levy_reliab_test(reliab_month month 300 1 200 20040)
# the same month at full speed (levy catches up only at the end: more writes race the edits),
# another seed; about 5-10 s
levy_reliab_test(reliab_month_fast month 300 2 200 20050)
if(TEST reliab_month_fast)
  set_property(TEST reliab_month_fast APPEND PROPERTY ENVIRONMENT "MONTH_PACE=0")
endif()
# Issue 16: the gaps "a month of Rillet" found, one case each (month_gaps.py docstring): a
# deletion of a document levy did not write, a credit memo whose only delivery was lost (the
# reconciliation lists Rillet's documents), a write against stale line ids (400) and to a
# deleted document (404), a paid invoice edited (status and reason agree), a period closed a
# moment ago. Ports 20045-20059.
levy_reliab_test(reliab_month_gaps month_gaps 300 20045)
# issue 16 cases 3 and 4: no silent back-taxing (date window, paid / credited / voided
# documents, closed books periods) and the manual tax policy
levy_reliab_test(reliab_scope_backtax scope_backtax 300 19980)
levy_reliab_test(reliab_scope_backfill scope_backfill 300 20000)
# Issue 16, case 5: the liability report is what Rillet holds (collected = the latest accepted
# write per document; calculated-not-collected listed with reasons; region changes keep tax
# already written; CSV == JSON). Ports 20020-20039.
levy_reliab_test(reliab_liability_collected liability_collected 300 20020)
# Issue 16: a drift document (Rillet's tax changed after levy's verified write, e.g. a paid
# invoice) counts as collected what Rillet holds and is listed not collected, reason drift.
# Ports 20100-20119.
levy_reliab_test(reliab_liability_drift liability_drift 300 20100)
# Issue 20: the filing-ready liability report (periods, sales split, drill-down, CSV). Ports 23700-23719.
levy_reliab_test(reliab_filing_report filing_report 300 23700)
# Issue 20 (reportperf II): the filing summary, drill-down pages and the export job over 3,000
# invoices answer within the default Lua budget (main answered 500). Ports 25100-25119.
levy_reliab_test(reliab_filing_large filing_large 900 25100)
# Issue 20: the lists (invoices, credit memos, customers, products): search, filters, sort,
# total and CSV of exactly what the filters select. Ports 23720-23739.
levy_reliab_test(reliab_list_csv list_csv 300 23720)
# Issue 16: discounted lines are taxed on the discounted amount whether Rillet shows line
# amounts net or gross of their discount (simulator switch line_amounts; detected from the
# document's totals, else the connection's line_amounts setting). Ports 20060-20079.
levy_reliab_test(reliab_line_discounts line_discounts 300 20060)
# Issue 16: bulk effects run as jobs. After a 3,000-invoice import, subscribing a region and
# changing the tax scope answer at once with a queued count (on main PATCH answered 500: the
# request's Lua budget ran out); the rillet.bulk runs reach done, the documents are
# recalculated. Ports 20080-20099.
levy_reliab_test(reliab_bulk_jobs bulk_jobs 600 20080 3000)
# Issue 17, several legal entities: two connections (the simulator's US and EU subsidiaries),
# each document taxed with its own connection's seller address, regions and settings; a region
# toggled on one connection leaves the other's documents alone. Ports 20700-20719.
levy_reliab_test(reliab_entities entities 300 20700)
# Issue 16: the maximum list limit (500) answers 200 on a 3,000-invoice organisation, with the
# Lua running-time budget cut to a quarter (a slower or busier machine). Ports 20300-20319.
levy_reliab_test(reliab_list_large list_large 300 20300 3000)
# Issue 16: the backfill preview of a year of history (3,000 invoices) runs as a job the client
# polls; its totals equal the sum of the small ranges' in-request previews. Ports 20320-20339.
levy_reliab_test(reliab_backfill_preview backfill_preview 400 20320 3000)
# issue 17 "Limits that fit Rillet": the webhook body cap (default 8 MiB, configurable)
levy_reliab_test(reliab_webhook_cap webhook_cap 180 20600)
# issue 17: one request budget per Rillet API key (two connections on one key), 409 already_connected
levy_reliab_test(reliab_key_budget key_budget 240 20620 400)
# issue 17: processed inbox bodies pruned after the retention period, delivery ids kept for dedup
levy_reliab_test(reliab_inbox_prune inbox_prune 240 20640)
# issue 17: reverse-charge and exempt lines written with their legal wording (0 % rate description)
levy_reliab_test(reliab_legal_wording legal_wording 180 20680)
# Issue 17 (seen 3 and 4): every customer (swept with updated.gt, an unknown customer fetched
# before its document is calculated, PUT /v1/customers/{id} for any customer Rillet knows) and
# tax ids / exemptions from Rillet data (reference types matched loosely, custom fields by name,
# the customer_data setting). Ports 20500-20519.
levy_reliab_test(reliab_customer_data customer_data 240 20500)
# issue 17: connection health you can see and repair in place (ports 20400-20499)
levy_reliab_test(reliab_health_token health_token 180 20400)
levy_reliab_test(reliab_health_key health_key 180 20420)
levy_reliab_test(reliab_health_import health_import 180 20440)
levy_reliab_test(reliab_health_silent health_silent 180 20460)
levy_reliab_test(reliab_health_rate health_rate 120 20480)
levy_reliab_test(reliab_health_import_auto health_import_auto 240 20450)
# Issue 18 item 3: plugins declare the tables they own; levy.store refuses SQL on another
# plugin's (or the core's) table. Ports 21150-21199.
levy_reliab_test(reliab_plugin_tables plugin_tables 180 21150)
# issue 19, "a tax id is not a word": a German customer with tax id "N/A" is charged German VAT
# through the Rillet connector (note tax_id_invalid in the history and the stored calculation,
# tax_id_check on the customer); a valid VAT number turns the invoice into reverse charge.
levy_reliab_test(reliab_tax_id_invalid tax_id_invalid 180 22400)
# issue 19: optional online tax id check (setting tax_id_online, off by default) against a local
# VIES stub: evidence kept with its date, not_registered -> charged + tax_id_invalid, offline-safe.
levy_reliab_test(reliab_tax_id_online tax_id_online 180 22420)

# Issue 19: the digital-services countries are listed, subscribable and calculated; territory
# addresses (Canary Islands, Jersey) answer out_of_scope, Monaco is France. Ports 22500-22549.
levy_reliab_test(reliab_countries countries 180 22500)
# Issue 19, reverse charge is not "any business customer abroad": a seller registered in CH
# charges Swiss businesses; Canada's simplified vs normal GST/HST regime is the setting
# ca_gst_regime (422 for bad values and per connection). Ports 23000-23049.
levy_reliab_test(reliab_registered registered 120 23000)
# Issue 19 (lawintl), place of supply through the API: the seller setting eu_below_threshold (the
# EU's EUR 10,000 threshold: 422 for bad values, per connection, null resets) and B2C
# professional services at the supplier's place (a US consultant: out_of_scope). Ports 30200-30249.
levy_reliab_test(reliab_eu_threshold eu_threshold 120 30200)
# Issue 19, mandatory delivery (ship19): the seller setting pickup_offered (IL 130.415, FL
# 12A-1.045(3)(a)): a ship-only seller's delivery taxed, one offering pick-up's not; 422 for bad
# values, per connection, null resets. Ports 31300-31399.
levy_reliab_test(reliab_pickup pickup 120 31300)
# Issue 19, Quebec QST under the specified registration system: customer.qst_number, setting
# qc_qst_regime, notes qst_registrant / qst_number_invalid.
levy_reliab_test(reliab_qst_specified qst_specified 120 15100)
# issue 19: the QST number stored on the customer (PUT /v1/customers/{id}, Rillet external
# reference / custom field) decides a Rillet invoice's write-back under the specified system
levy_reliab_test(reliab_qst_stored qst_stored 180 16400)
# issue 19: a province's region (CA-QC) toggled, or the QST regime changed, re-checks that
# province's documents, whose stored region is CA (bulk.lua region_args)
levy_reliab_test(reliab_province_recheck province_recheck 240 16800)
# issues 19/20: a province's region (CA-QC) in the filing summary, its drill-down, the
# liability report and the invoices list: region CA's documents shipped to the province, with
# only the province's own tax; region CA is the GST/HST return (rillet region_filter.lua)
levy_reliab_test(reliab_province_reports province_reports 240 18600)
# Issue 19, Sphere drop-in fidelity: include_taxability_reason, empty tax_amounts where no tax
# is due (reverse charge), ship_from as the seller's location. Ports 22300-22349.
levy_reliab_test(reliab_sphere_fidelity sphere_fidelity 120 22300)
# Issue 19: the law around the rate (US): shipping follows the goods per state, taxability
# with dates (WA ESSB 5814, MD, MB), caps on the price (FL surtax $5,000, CT luxury clothing).
levy_reliab_test(reliab_us_law us_law 180 22600)
# Issue 18: a change saved by the api plugin and its re-check event commit together (one
# store.transaction): a failing subscriber leaves nothing saved. Ports 22700-22719.
levy_reliab_test(reliab_change_recheck change_recheck 240 22700)
# Issue 19, business vs consumer in the US: customer.type on the request, the
# default_customer_type setting, the stored customer (Rillet custom field, PUT), the Sphere
# drop-in; CT and OH SaaS by customer type. Ports 22900-22949.
levy_reliab_test(reliab_customer_type customer_type 180 22900)
# Issue 19, product taxonomy: 43 tax codes with parents (GET /v1/tax-codes = docs/rules.md 2a);
# MA custom software, NY information services, TX data processing, WA prerecorded courses and
# custom software (ESSB 5814) differ from their parents as cited; a code without a row answers
# as its parent with the note taxability_fallback; the old codes as before; the Rillet
# mapping and PUT /v1/products accept the new codes. Ports 23400-23449.
levy_reliab_test(reliab_taxonomy taxonomy 180 23400)
# Issue 19, local taxes outside sales tax: Chicago's Personal Property Lease Transaction Tax on
# SaaS through the API (its own type, name, dated rate, ZIPs partly in Chicago noted) and the
# Rillet connector (its own TaxRate in the simulator's document, both readings of
# tax_rates_per_line). Ports 23200-23249.
levy_reliab_test(reliab_lease_tax lease_tax 180 23200)
# issue 20 (Debian package): levy under a fake NOTIFY_SOCKET (READY/WATCHDOG/RELOADING/STOPPING),
# `levy reload` (ExecReload) exit codes, levy sim/demo without the levy-sim package
levy_reliab_test(reliab_sd_notify sd_notify 180 23800)
# issue 20: the shipped levy.service (paths adjusted to the build) under a REAL systemd, PID 1 of
# private PID/mount/cgroup namespaces: Type=notify start, systemctl reload (taken / rejected),
# SIGHUP, the watchdog (SIGSTOP -> killed, restarted), systemctl stop (clean exit), a scheduled
# rate update (its child process in the sandbox, then a reload), the connector against the
# simulator (connect, webhooks, an invoice taxed and written back), the journal.
# Needs root and a writable cgroup2 hierarchy; SKIPs (77) saying why when the machine has not.
# About 50 s (the watchdog's 30 s). Ports 30600-30649 levy, 30650-30689 the simulator.
levy_reliab_test(reliab_systemd_real systemd_real 600 30600)
if(TEST reliab_systemd_real)
  set_tests_properties(reliab_systemd_real PROPERTIES SKIP_RETURN_CODE 77)
endif()
# Issue 19, address precision (US): SST rate + boundary files imported (fixtures built to the
# published layouts); an ambiguous ZIP5 answers zip5 + candidates, a ZIP+4 zip4 at its exact
# rate, a street line address; a Rillet customer's ZIP+4 reaches the calculation. Ports
# 23500-23549.
levy_reliab_test(reliab_address_precision address_precision 180 23500)
# Issue 20, operations by the conventions: after real traffic every /metrics family has HELP
# and TYPE, counters end in _total, durations are _seconds histograms; build_info, process_*,
# Rillet calls by endpoint and status class, write-back outcomes, reconciliation drift, queue
# depth and age; the read-only metrics token; promtool when installed. Ports 23600-23619.
levy_reliab_test(reliab_metrics_conventions metrics_conventions 240 23600 25200)
# Issue 20, the command line by the conventions: every command's own --help (exit 0), a wrong
# flag is one line + "see levy <command> --help" (exit 2), URLs and addresses checked at start,
# levy sim says where its default data dir is, levy demo removes its temporary data dirs on
# Ctrl-C / SIGTERM unless --keep. Ports 23640-23659.
levy_reliab_test(reliab_cli_conventions cli_conventions 240 23640)
# Issue 20, operations: levy answers while its start-up migrations run (a test plugin's slow
# migration): /healthz 503 migrating with the step and Retry-After, every other request 503
# "starting" (a webhook is not acknowledged), then 200; a failing migration still exits 1 with
# its messages. Ports 47600-47639.
levy_reliab_test(reliab_start_migrating start_migrating 360 47600)
levy_reliab_test(reliab_certificates certificates 240 24000)
# Issue 20, the Exposure report: marketplace sales excluded (AZ, cited) or counted and flagged
# (ID, unknown), the date a threshold was crossed (checked independently), physical presence
# giving nexus with no sales (NV), drill-down and CSV. Ports 24200-24249.
levy_reliab_test(reliab_exposure exposure 180 24200)
# Issues 19/20, registration thresholds abroad (a foreign seller's, data/intl/foreign-seller-
# thresholds.csv): documents converted with their own exchange rate, a currency without one
# listed and not counted, the crossing date, first-sale countries, a worldwide threshold not
# measured. Ports 49900-49949.
levy_reliab_test(reliab_exposure_abroad exposure_abroad 180 49900)
levy_reliab_test(reliab_backup_files backup_files 240 24400)
# Issue 19, address precision in California: a ZIP that the shipped files show spanning several
# rates answers ambiguous_zip with CDTFA candidates (cities, unincorporated areas); ship_to.city
# picks a city of the ZIP's counties. Ports 25300-25349.
levy_reliab_test(reliab_ca_zip_candidates ca_zip_candidates 180 25300)
# Issue 19, partial-ZIP districts: a ZIP whose ZIP-table region is a district covering only part
# of it (MO/KS CID and TDD, IL business district) answers ambiguous_zip with the candidates
# outside (default, charged) and inside; CDTFA's newer rate wins from its effective date.
# Ports 29500-29549.
levy_reliab_test(reliab_partial_districts partial_districts 180 29500)
levy_reliab_test(reliab_partial_cities partial_cities 180 15300)
# Issue 22: levy on PostgreSQL (tests/pg/cluster.sh: a throwaway cluster; the example plugin's
# migrations/postgres/): two processes on one database, jobs once, a lease reclaimed, a replica
# with another master key refused, /healthz while PostgreSQL is down. Ports 24920-24929.
find_program(LEVY_PG_INITDB initdb PATHS /usr/lib/postgresql/15/bin /usr/lib/postgresql/16/bin)
if(LEVY_PG_INITDB)
  levy_reliab_test(reliab_pg_store pg_store 300 24920)
  # levy migrate-store: a SQLite data dir copied onto PostgreSQL, verified, re-run a no-op, the
  # copy served with the same answers, a target with other data refused. Ports 26000-26019.
  levy_reliab_test(reliab_migrate_store migrate_store 300 26000)
  # The e2e suites once on PostgreSQL (issue 22): tests/pg/run_on_pg.py starts a throwaway
  # cluster (a fresh database per test), runs the same script with levy wrapped to carry
  # LEVY_DATABASE_URL, checks levy used that database, and stops the cluster. The scripts that
  # pass unchanged and run in seconds (bulk_jobs also passes but takes ~80 s; the scripts that
  # open levy.db with Python's sqlite3 cannot). Ports 26200-26349.
  function(levy_pg_variant name pgport)
    add_test(NAME ${name}
             COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/pg/run_on_pg.py ${CMAKE_SOURCE_DIR}
                     ${pgport} $<TARGET_FILE:levy> ${PYTHON3} ${ARGN}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    # LEVY_TEST_TIMEOUT as levy_reliab_test gives it (the script under run_on_pg.py inherits it);
    # a variant's own variables are appended
    set_tests_properties(${name} PROPERTIES LABELS "e2e;reliab;pg" TIMEOUT 300
                         ENVIRONMENT "LEVY_TEST_TIMEOUT=300")
  endfunction()
  set(_rel ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reliab)
  levy_pg_variant(e2e_reports_pg 26200 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reports/test_reports.py
                  $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR})
  set_property(TEST e2e_reports_pg APPEND PROPERTY ENVIRONMENT REPORTS_E2E_PORT=26201)
  # e2e_api writes a few rows straight into the store: through psql on PostgreSQL
  # (LEVY_DATABASE_URL set: test_api.py's PgCon); the one check of an empty data dir's levy calc
  # has no PostgreSQL twin (the store is the database)
  levy_pg_variant(e2e_api_pg 26340 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/api/test_api.py $<TARGET_FILE:levy>)
  set_property(TEST e2e_api_pg APPEND PROPERTY ENVIRONMENT LEVY_E2E_PORT=26341)
  # the contract checker on PostgreSQL: there every webhook delivery takes the Lua intake (no
  # writer thread, no C fast path), so §2.7's answers are checked on that path too. Cluster on
  # 16090, levy and the simulator from 16100 (the SQLite run uses 16000-16079)
  levy_pg_variant(e2e_contract_pg 16090 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/contract/test_contract.py
                  $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR})
  set_property(TEST e2e_contract_pg APPEND PROPERTY ENVIRONMENT CONTRACT_E2E_PORT=16100)
  # levy on PostgreSQL against the strict Rillet stand-in (the Lua intake, the write-back's
  # verify read, 429 + Retry-After with the shared budget). Cluster on 30700, ports from 30710
  levy_pg_variant(e2e_contract_standin_pg 30700 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/contract/test_standin.py
                  $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR})
  set_property(TEST e2e_contract_standin_pg APPEND PROPERTY ENVIRONMENT STANDIN_E2E_PORT=30710)
  # e2e_connector reads the store (inbox, jobs) through tests/e2e/harness.py store(): psql on
  # PostgreSQL; its secrets grep covers a pg_dump of the database; its kill -9 restart run gets
  # a database of its own (levy_restart). Ports 31500-31549.
  levy_pg_variant(e2e_connector_pg 31500 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/connector/test_connector.py
                  $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR})
  set_tests_properties(e2e_connector_pg PROPERTIES TIMEOUT 600
                       ENVIRONMENT "LEVY_TEST_TIMEOUT=600;CONNECTOR_E2E_PORT=31510")
  # e2e_host's cases that use the store (jobs and their outcomes, a backlog and clean stops,
  # kill -9 after a durable 2xx, SIGTERM, a plugin migration on reload) on PostgreSQL: each
  # data dir gets a database of its own, the store is read through psql (host_e2e.py PgCon).
  # The other cases (CLI, TLS, HTTP framing, the sandbox) do not touch the store's engine.
  # Ports 14720-14769.
  levy_pg_variant(e2e_host_pg 14720 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/host_e2e.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} jobs_outcomes jobs_batch kill9_durable sigterm_graceful
                  reload_under_load)
  set_property(TEST e2e_host_pg APPEND PROPERTY ENVIRONMENT LEVY_E2E_PORT_BASE=14721)
  foreach(pair exposure:26220 filing_report:26240 liability_drift:26260 reconcile:26280
               certificates:26300 list_csv:26320 filing_sums:28040 oss_report:32200
               province_reports:18620 address_precision:30300 exposure_abroad:49950)
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 script)
    list(GET pair 1 port)
    math(EXPR sport "${port} + 1")
    levy_pg_variant(reliab_${script}_pg ${port} ${_rel}/${script}.py $<TARGET_FILE:levy>
                    ${CMAKE_SOURCE_DIR} ${sport})
  endforeach()
  # The correctness a finance team depends on over time, on PostgreSQL (issue 22, h-pg22b):
  # write-backs verified through edits and reverts (A -> B -> A) and Rillet's stored answers;
  # the liability report against what Rillet holds (payments, credit memos, a refused write);
  # webhook replay and dedup; kill -9 right after Rillet's 200 (one tax write per cycle, the
  # retry an idempotent replay: 6 cycles here, 20 on SQLite); the kill -9 loop under webhook
  # and API load (every acknowledged delivery and write kept, nothing twice: 3 cycles here,
  # 20 on SQLite). Each Env of a script gets a database of its own (common.Env: the second Env
  # of writeback_verify and liability_collected shared the first's and failed). Ports
  # 18200-18299.
  foreach(pair writeback_verify:18220 liability_collected:18240 webhook_replay:18280)
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 script)
    list(GET pair 1 port)
    math(EXPR sport "${port} + 1")
    levy_pg_variant(reliab_${script}_pg ${port} ${_rel}/${script}.py $<TARGET_FILE:levy>
                    ${CMAKE_SOURCE_DIR} ${sport})
  endforeach()
  # issue 20 operations: "recount kept sums" on PostgreSQL, where each chunk locks the documents
  # (plugins/rillet/recount.lua); ports 46320-46369
  levy_pg_variant(reliab_recount_pg 46320 ${_rel}/recount.py $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 46321)
  levy_pg_variant(reliab_writeback_kill_pg 18200 ${_rel}/writeback_kill.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} 6 18201)
  levy_pg_variant(reliab_kill9_pg 18260 ${_rel}/kill9.py $<TARGET_FILE:levy> ${CMAKE_SOURCE_DIR} 3 18261)
  # Several replicas on one database behind one URL (a round-robin proxy in the test): the
  # connect flow, a webhook burst with kill -9 of a replica in the middle (0 acknowledged
  # deliveries lost, 0 tax writes applied twice, no job dead), one scheduled sweep per interval
  # across the replicas, /healthz naming each replica; two and three replicas. Ports 26350-26369.
  levy_reliab_test(reliab_replicas replicas 300 26350 2)
  levy_reliab_test(reliab_replicas3 replicas 300 26360 3)
  # Hot reload per replica (issue 22): one replica reloaded onto a newer Texas rate, the other
  # not; GET /admin/generation shows the mixed window; the older generation's recalculation is
  # recorded and its write-back superseded: Rillet keeps the newer tax, written once; a changed
  # document waits for the newer generation, visibly (last_error, one WARN line, a counter).
  # Over replica_rig.py (its proxy pinned to the active replica). Ports 27000-27009.
  levy_reliab_test(reliab_replicas_generation replicas_generation 300 27000)
  # tests/e2e/reliab/replicas_ha.py over replica_rig.py (the cluster, the simulator, N replicas,
  # the round-robin proxy): PostgreSQL stopped and started under a webhook + API burst (503 +
  # Retry-After in the gap, never 500 nor a hang; replicas reconnect; every acknowledged delivery
  # once, every tax write once; a schedule task's failure logged once per outage, not per tick), kill -9 of a replica with write-backs in flight (each tax written
  # once, its leased jobs reclaimed), and one Rillet request budget across three replicas (never
  # more than the budget in any 60 s at the simulator). Ports 26500-26559.
  levy_reliab_test(reliab_pg_restart replicas_ha 300 26500 pg_restart)
  levy_reliab_test(reliab_replicas_writeback_kill replicas_ha 300 26520 writeback_kill)
  levy_reliab_test(reliab_replicas_rate replicas_ha 300 26540 rate)
  # levy.files on PostgreSQL: a certificate uploaded through one replica downloads with the
  # same bytes through the other; deleted through one, gone on both; bodies in the core files
  # table, none in a data dir; the size limit unchanged. Ports 27500-27509.
  levy_reliab_test(reliab_pg_files pg_files 300 27500)
  # levy backup / restore on PostgreSQL print the exact pg_dump / pg_restore commands (no
  # password); run as printed they back up and restore what levy serves. Ports 27510-27529.
  levy_reliab_test(reliab_pg_backup pg_backup 300 27510)
  # levy rotate-master-key on PostgreSQL: refused while a replica serves (its data dir, or any
  # other levy connected to the database), then re-seals in one transaction; a replica with
  # the old key refuses to start; an interrupted rotation is completed at the next start, or
  # first by the next rotation; a COMMIT reported failed although committed keeps
  # master.key.new for that (issue 18). Ports 27530-27549.
  levy_reliab_test(reliab_pg_rotate pg_rotate 300 27530)
  # One replica id, one live process: a replica started on a copy of another's data dir (its
  # DATA_DIR/replica-id) takes a new id at start (WARN, GET /admin/generation replica_clash)
  # instead of heartbeating as the other and requeueing its running jobs; a replica restarted
  # after kill -9 keeps its id. Ports 14700-14704.
  levy_reliab_test(reliab_replica_clash replica_clash 300 14700)
  # Issue 20 (jobs20): a job that gave up retried through POST /admin/jobs/{id}/retry and
  # /admin/jobs/retry on PostgreSQL (the store written through psql). Ports 31450-31499.
  levy_pg_variant(reliab_job_retry_pg 31450 ${_rel}/job_retry.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} 31451)
  # Issue 20 (audit20): the audit log on PostgreSQL (the blocking trigger through psql).
  # Ports 41350-41399.
  levy_pg_variant(reliab_audit_log_pg 41350 ${_rel}/audit_log.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} 41351)
  # Issue 20 (tokens22): named API tokens on PostgreSQL (the CLI on the same database).
  # Ports 46450-46499.
  levy_pg_variant(reliab_named_tokens_pg 46450 ${_rel}/named_tokens.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} 46451)
  # Issue 20 (tokens23): token roles, the Sphere drop-in, the audit log's people on PostgreSQL
  # (the skip scan of audit_log(person, id)). Ports 47550-47599.
  levy_pg_variant(reliab_token_roles_pg 47550 ${_rel}/token_roles.py $<TARGET_FILE:levy>
                  ${CMAKE_SOURCE_DIR} 47551)
endif()
# Issue 21, group commit (core/store/writer.c): concurrent unique deliveries land exactly once,
# a lock another process holds answers 503 + Retry-After, kill -9 loses no acknowledged delivery.
# Ports 24700-24749.
levy_reliab_test(reliab_writer_burst writer_burst 240 24700)
# Issue 20: the EU One-Stop-Shop view in EUR (ECB rate import, conversion, missing rate). Ports 25500-25519.
levy_reliab_test(reliab_oss_report oss_report 300 25500)
# The OSS return at scale (issue 20): oss_report's quarter copied to ~3,000 documents in the
# store; the figure rows summed in SQL answer exactly the small quarter's sums times the copies,
# converted once, and exactly what decoding every result answers. Ports 32240-32259.
levy_reliab_test(reliab_oss_large oss_large 300 32240)
# issue 21: webhook deliveries while Rillet is down leave the inbox job's back-off alone, and
# every delivery is processed once Rillet answers (ports 26100-26139)
levy_reliab_test(reliab_inbox_backoff inbox_backoff 240 26100)
# issue 21: the inbox job's back-off grows (capped) during a long Rillet outage: a bounded
# number of fetches in 45 s, and the delivery processed once Rillet answers (ports 29100-29139)
levy_reliab_test(reliab_inbox_outage inbox_outage 240 29100)
# the filing summary's kept sums through edits, deletes, payments and credit memos; the check (ports 28000-28039)
levy_reliab_test(reliab_filing_sums filing_sums 300 28000)
# issue 20 operations: every kept table corrupted by SQL behind levy's back, then `levy recount`
# while Rillet changes documents: each equals the documents again, the result says what changed
# (plugins/rillet/recount.lua); PostgreSQL twin reliab_recount_pg. Ports 46300-46319.
levy_reliab_test(reliab_recount recount 300 46300)
# Issue 21 (the host's per-request cost): the reply's header set on HTTP/1.0 and 1.1 (Date,
# security headers, CSP, Content-Type, X-Request-Id) on C and Lua routes. Ports 32000-32039.
levy_reliab_test(reliab_reply_headers reply_headers 120 32000)
levy_reliab_test(reliab_webhook_fast webhook_fast 180 14500)
levy_reliab_test(reliab_liability_large liability_large 600 15500)
levy_reliab_test(reliab_memory_return memory_return 180 15750)
levy_reliab_test(reliab_http_connlist http_connlist 300 16600)
# levy's flows (connect with one subsidiary, import, webhook, write-back) against the
# simulator with every strict reading of rillet-api.md on (docs/rillet-assumptions.md "The
# simulator's strict switches"); asserts what the simulator holds on every line
levy_reliab_test(reliab_strict_rillet strict_rillet 600 30000)
# one GET /books/periods/last-closed serves a burst of write-backs (scope.lua closed_through
# batches), counted in the simulator's request log; a close still stops every later write
levy_reliab_test(reliab_books_burst books_burst 600 30020)
# Issue 20 (jobs20): a background job that gave up (state dead) retried through the API: 404 /
# 409 / 405 / 401, queued again with fresh attempts and its error kept, run to done; a queued
# successor of its key carries the work; retry all by kind and within 7 days. Ports 31400-31449.
levy_reliab_test(reliab_job_retry job_retry 300 31400)
# Issue 20 (audit20): the audit log of admin actions (GET /v1/audit): who, what, before ->
# after, no secrets, a refused change or a refused audit row writes neither, filters, paging,
# CSV, append-only. Ports 41300-41349.
levy_reliab_test(reliab_audit_log audit_log 300 41300)
# Issue 20 (tokens22): named API tokens (POST/GET /v1/tokens, DELETE /v1/tokens/{name}, levy
# token): the audit log names each token's changes and its UI session's; revoking stops the
# token and its sessions at once; the configured API token unchanged; hashes only in the store.
# Ports 46400-46449.
levy_reliab_test(reliab_named_tokens named_tokens 240 46400)
# Issue 20 (tokens23): token roles (only an admin creates or revokes tokens; revoking answers
# the tokens it made), named tokens on the Sphere drop-in (X-API-KEY), GET /v1/audit/people
# (the Activity page's Person picker, revoked people marked). Ports 47500-47549.
levy_reliab_test(reliab_token_roles token_roles 240 47500)
