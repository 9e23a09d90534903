#!/usr/bin/env python3
"""Issue 20, "Operations by the conventions": GET /metrics is a Prometheus target like any
other. After real traffic (connect + import + write-backs through the simulator, a webhook, a
reconciliation that finds a difference, a reload) levy is scraped and every family is checked:

  * every sample belongs to a family with one `# HELP` (a real text) and one `# TYPE`, before
    its samples; names and labels are well formed; no family appears twice;
  * counters end in `_total`, gauges do not; histograms end in `_seconds` (durations in
    seconds), with ascending `le` buckets, cumulative counts, `+Inf` = `_count`, a `_sum`;
  * the families an operator alerts on are there: levy_build_info{version,commit} 1, the
    process_* metrics (CPU, RSS, open fds, start time), Rillet calls by endpoint and status
    class (+ their durations), write-back outcomes, reconciliation drift, queue depth and
    oldest queued age by job kind, reloads as counters;
  * a read-only metrics token (LEVY_METRICS_TOKEN) opens GET /metrics and nothing else; no
    token -> 401; a metrics token equal to the API token is refused at start (exit 2);
  * --metrics-listen ADDR (LEVY_METRICS_LISTEN) serves GET /metrics on a listener of its own
    and nothing else there: open without a metrics token, the metrics token asked with one;
    a bad address, or the --listen address, is refused at start (exit 2);
  * a removed connection's series (levy_connection_health, levy_reconciliation_last_drift)
    leave /metrics when it is removed, and a schedule tick does not bring them back;
  * when Debian's promtool is installed: `promtool check metrics` on the scrape and
    `promtool check rules docs/alerts.yml` (the example alert rules of docs/operations.md).

Usage: metrics_conventions.py LEVY_BINARY SOURCE_DIR [BASE_PORT=23600] [METRICS_PORT_BASE=25200]
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23600
MPORT_BASE = int(sys.argv[4]) if len(sys.argv) > 4 else 25200

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_labels(s):
    out, pos = {}, 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            raise ValueError("bad labels: " + s)
        out[m.group(1)] = m.group(2)
        pos = m.end()
    return out


def parse(text):
    """-> (families {name: {help, type, samples: [(sample name, labels, value)]}}, problems)"""
    fams, bad, order = {}, [], []
    cur = None
    for ln in text.splitlines():
        if not ln:
            continue
        if ln.startswith("# HELP "):
            name, _, helptext = ln[7:].partition(" ")
            if name in fams:
                bad.append("HELP twice or after its samples: " + name)
            fams[name] = {"help": helptext, "type": None, "samples": []}
            order.append(name)
            cur = name
            continue
        if ln.startswith("# TYPE "):
            name, _, typ = ln[7:].partition(" ")
            if name != cur or fams[name]["type"] is not None:
                bad.append("TYPE without its HELP just before: " + name)
                fams.setdefault(name, {"help": None, "type": None, "samples": []})
            fams[name]["type"] = typ
            continue
        if ln.startswith("#"):
            continue
        m = SAMPLE.match(ln)
        if not m:
            bad.append("unparsable line: " + ln)
            continue
        sname, labels, value = m.group(1), m.group(3) or "", m.group(4)
        try:
            lab = parse_labels(labels)
            val = float(value)
        except ValueError as e:
            bad.append("%s: %s" % (ln, e))
            continue
        fam = cur
        if fam is None or not (sname == fam or (fams[fam]["type"] == "histogram" and
                                               sname in (fam + "_bucket", fam + "_sum", fam + "_count"))):
            bad.append("sample outside its family's HELP/TYPE block: " + ln)
            continue
        fams[fam]["samples"].append((sname, lab, val))
    if order != sorted(order) and len(set(order)) != len(order):
        bad.append("families repeated")
    return fams, bad


def conventions(fams):
    bad = []
    for name, f in fams.items():
        if not NAME.match(name):
            bad.append("bad name " + name)
        if not f["help"] or "no description" in f["help"]:
            bad.append("%s: no HELP text (%r)" % (name, f["help"]))
        t = f["type"]
        if t not in ("counter", "gauge", "histogram"):
            bad.append("%s: TYPE %r" % (name, t))
        if t == "counter" and not name.endswith("_total"):
            bad.append("%s: a counter without _total" % name)
        if t != "counter" and name.endswith("_total"):
            bad.append("%s: a %s named _total" % (name, t))
        if t == "histogram":
            if not name.endswith("_seconds"):
                bad.append("%s: a histogram not in seconds" % name)
            series = {}
            for sname, lab, val in f["samples"]:
                key = tuple(sorted((k, v) for k, v in lab.items() if k != "le"))
                series.setdefault(key, {"buckets": [], "sum": None, "count": None})
                if sname.endswith("_bucket"):
                    series[key]["buckets"].append((lab.get("le"), val))
                elif sname.endswith("_sum"):
                    series[key]["sum"] = val
                else:
                    series[key]["count"] = val
            for key, s in series.items():
                les = [le for le, _ in s["buckets"]]
                if not les or les[-1] != "+Inf":
                    bad.append("%s%s: no +Inf bucket" % (name, key))
                    continue
                bounds = [float(le) for le in les[:-1]]
                if bounds != sorted(bounds) or len(set(bounds)) != len(bounds) or bounds[-1] > 60:
                    bad.append("%s%s: le bounds not ascending seconds: %s" % (name, key, les))
                counts = [v for _, v in s["buckets"]]
                if counts != sorted(counts):
                    bad.append("%s%s: bucket counts not cumulative" % (name, key))
                if s["count"] != counts[-1] or s["sum"] is None:
                    bad.append("%s%s: _count %s vs +Inf %s, _sum %s" % (name, key, s["count"], counts[-1], s["sum"]))
    return bad


def value(fams, name, **labels):
    for sname, lab, val in (fams.get(name) or {}).get("samples", []):
        if sname == name and all(lab.get(k) == v for k, v in labels.items()):
            return val
    return None


def samples(fams, name):
    return [(lab, val) for sname, lab, val in (fams.get(name) or {}).get("samples", []) if sname == name]


def token_refusals():
    """A metrics token that is the API token, or breaks the token rule, stops levy (exit 2)."""
    same = "same-token-" + uuid.uuid4().hex
    common.refused_settings(LEVY, ((["--api-token", same, "--metrics-token", same], {}, "metrics token"),
                                   ([], {"LEVY_METRICS_TOKEN": "short"}, "LEVY_METRICS_TOKEN")),
                            "levy-reliab-metrics-args-")


def metrics_listen_open():
    """--metrics-listen without a metrics token: /metrics there needs no token (a private
    address), the public port still asks for one, and the metrics listener serves nothing
    else. Bad addresses are refused at start."""
    common.refused_settings(LEVY, ((["--metrics-listen", "localhost"], {}, "--metrics-listen"),
                                   ([], {"LEVY_METRICS_LISTEN": "127.0.0.1:99999"}, "LEVY_METRICS_LISTEN"),
                                   (["--metrics-listen", "127.0.0.1:%d" % (MPORT_BASE + 40), "--listen",
                                     "127.0.0.1:%d" % (MPORT_BASE + 40)], {}, "--metrics-listen")),
                            "levy-reliab-metrics-args-")
    tmp = tempfile.mkdtemp(prefix="levy-reliab-mlisten-")
    port = common.free_port(MPORT_BASE, 20)
    mport = common.free_port(port + 1, 20)
    url, murl = "http://127.0.0.1:%d" % port, "http://127.0.0.1:%d" % mport
    token = "reliab-token-" + uuid.uuid4().hex[:12]
    p = common.start(common.levy_cmd(LEVY, port, os.path.join(tmp, "data"), token, "http://127.0.0.1:9", SRC,
                                     extra=("--metrics-listen", "127.0.0.1:%d" % mport)),
                     os.path.join(tmp, "levy.log"), keep_levy_env=False)
    try:
        up = common.wait_for(lambda: p.poll() is None and common.req("GET", url + "/healthz", timeout=2)[0] == 200,
                             60, 0.1)
        if not check("levy serve --metrics-listen starts", up, common.tail(os.path.join(tmp, "levy.log"))):
            return
        st, _, text, rh = common.req("GET", murl + "/metrics")
        fams, bad = parse(text if st == 200 else "")
        check("GET /metrics on the metrics listener, no token -> 200 text/plain, the whole exposition",
              st == 200 and rh.get("Content-Type", "").startswith("text/plain") and not bad and
              samples(fams, "levy_build_info") and "process_open_fds" in fams, (st, text[:300]))
        st, _, _, _ = common.req("GET", url + "/metrics")
        check("the public port still asks a token for /metrics (401)", st == 401, st)
        for method, path, want in (("GET", "/healthz", 404), ("GET", "/v1/invoices", 404), ("GET", "/", 404),
                                   ("POST", "/metrics", 405)):
            st, js, text, _ = common.req(method, murl + path, headers={"Authorization": "Bearer " + token})
            check("the metrics listener serves /metrics only: %s %s -> %d" % (method, path, want),
                  st == want and isinstance(js, dict) and js.get("error", {}).get("code"), (st, text[:200]))
        log = open(os.path.join(tmp, "levy.log")).read()
        check("the start names the metrics address", "metrics on http://127.0.0.1:%d/metrics" % mport in log,
              log[-600:])
        p.send_signal(15)
        check("stops cleanly", p.wait(60) == 0, "")
    finally:
        common.stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    token_refusals()
    metrics_listen_open()
    env = common.new_env(LEVY, SRC, "levy-reliab-metrics-", BASE_PORT, invoices=8)
    env.fast_schedule()
    mtoken = "metrics-" + uuid.uuid4().hex
    env.levy_env["LEVY_METRICS_TOKEN"] = mtoken
    mport = common.free_port(MPORT_BASE + 50, 40)
    murl = "http://127.0.0.1:%d" % mport
    env.levy_env["LEVY_METRICS_LISTEN"] = "127.0.0.1:%d" % mport
    url = env.levy_url
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect()

        def written():
            s, js, _, _ = env.L("GET", "/v1/invoices?limit=100")
            w = [d for d in (js or {}).get("data", []) if d["tax_status"] == "written" and
                 d["levy_tax"] not in ("0", "0.00") and d["status"] == "UNPAID"]
            return w or None
        w = common.wait_for(written, 120, 0.5)
        if not check("the import wrote tax to Rillet", w, ""):
            return
        # a difference for the reconciliation: Rillet loses the tax of one invoice
        st, inv, text = common.resave(env, w[0]["id"])
        check("an invoice re-saved in Rillet without its tax", st == 200, text[:200])
        # a webhook (a delivery levy does not use: ignored) and a bad one (invalid_signature)
        wid = str(uuid.uuid4())
        env.deliver(('"%s"' % uuid.uuid4()).encode(), wid, entity="VENDOR", event="DELETED")
        common.req("POST", env.webhook_url, raw="{}", headers={
            "X-Rillet-Signature": "AAAA", "X-Rillet-Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "X-Rillet-Id": str(uuid.uuid4()), "X-Rillet-Entity": "INVOICE", "X-Rillet-Event": "CREATED"})
        st, _, text, _ = env.L("POST", "/v1/connections/%s/reconcile" % env.cid)
        check("reconcile queued", st == 202, text)

        def run_done():
            s, js, _, _ = env.L("GET", "/v1/reconciliation?connection_id=" + env.cid)
            runs = (js or {}).get("runs") or []
            return runs[0] if s == 200 and runs and runs[0]["state"] == "done" else None
        run = common.wait_for(run_done, 120, 0.5)
        check("the reconciliation run finished with a difference", run and run["drift"] >= 1, run)
        st, rl, text, _ = env.L("POST", "/admin/reload")
        check("a reload", st == 200, text)
        swapped = 1 if (rl or {}).get("status") == "reloaded" else 0  # "unchanged": nothing to swap
        # a queued job created two minutes ago, due in a year (it never runs during the test)
        now = int(time.time() * 1000)
        env.live_exec("INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, "
                      "created_at, updated_at) VALUES ('job_metricsprobe', 'rillet.metrics_probe', 'probe', "
                      "'{}', 'queued', 0, 8, ?, ?, ?)", now + 365 * 86400000, now - 120000, now)

        # -- who may scrape
        st, _, _, _ = common.req("GET", url + "/metrics")
        check("GET /metrics without a token -> 401", st == 401, st)
        st, _, _, _ = common.req("GET", url + "/metrics", headers={"Authorization": "Bearer wrong-" + mtoken})
        check("GET /metrics with a wrong token -> 401", st == 401, st)
        for path in ("/v1/invoices", "/admin/generation", "/v1/connections"):
            st, _, _, _ = common.req("GET", url + path, headers={"Authorization": "Bearer " + mtoken})
            check("the metrics token does not open %s (401)" % path, st == 401, st)
        st, _, text, rh = common.req("GET", url + "/metrics", headers={"Authorization": "Bearer " + mtoken})
        check("GET /metrics with the metrics token -> 200 text/plain", st == 200 and
              rh.get("Content-Type", "").startswith("text/plain"), (st, rh))
        st2, _, text2, _ = env.L("GET", "/metrics")
        check("GET /metrics with the API token still -> 200", st2 == 200, st2)
        # the metrics listener (LEVY_METRICS_LISTEN) with a metrics token set: asked there too
        st3, _, _, _ = common.req("GET", murl + "/metrics")
        check("metrics listener with a metrics token set: no token -> 401", st3 == 401, st3)
        st3, _, text3, _ = common.req("GET", murl + "/metrics", headers={"Authorization": "Bearer " + mtoken})
        check("metrics listener: the metrics token -> 200, the same families",
              st3 == 200 and set(parse(text3)[0]) >= set(n for n in parse(text2)[0] if not n.startswith("process_")),
              (st3, text3[:200]))
        if st != 200:
            text = text2  # the checks below judge the exposition whichever token opened it

        # -- the conventions, on every family
        fams, bad = parse(text)
        check("the exposition parses: HELP, TYPE, then the family's samples", not bad, bad[:10])
        bad = conventions(fams)
        check("every family: a HELP text, _total counters, _seconds histograms with sane buckets",
              not bad, bad[:10])
        levy_fams = [n for n in fams if n.startswith("levy_")]
        check("levy publishes its families (>= 15)", len(levy_fams) >= 15, sorted(fams))

        # -- the families an operator needs
        bi = samples(fams, "levy_build_info")
        check("levy_build_info{version,commit} 1", len(bi) == 1 and bi[0][1] == 1 and
              bi[0][0].get("version") and bi[0][0].get("commit"), bi)
        check("process_cpu_seconds_total is a counter > 0",
              fams.get("process_cpu_seconds_total", {}).get("type") == "counter" and
              (value(fams, "process_cpu_seconds_total") or 0) > 0, fams.get("process_cpu_seconds_total"))
        rss = value(fams, "process_resident_memory_bytes") or 0
        check("process_resident_memory_bytes: a plausible RSS (1 MiB .. 4 GiB)", 2**20 < rss < 2**32, rss)
        fds = value(fams, "process_open_fds") or 0
        check("process_open_fds > 3", fds > 3, fds)
        stt = value(fams, "process_start_time_seconds") or 0
        check("process_start_time_seconds within the last hour", time.time() - 3600 < stt <= time.time() + 5, stt)
        rq = samples(fams, "levy_rillet_requests_total")
        eps = {(lab.get("endpoint"), lab.get("status_class")) for lab, _ in rq}
        check("levy_rillet_requests_total by endpoint template and status class: the write-back",
              ("POST /invoices/{id}/taxes", "2xx") in eps and ("GET /invoices", "2xx") in eps, sorted(eps))
        check("no raw id in a Rillet endpoint label", not any(re.search(r"[0-9a-f]{8}-", e or "") for e, _ in eps),
              sorted(eps))
        check("levy_rillet_request_duration_seconds: a histogram with observations",
              fams.get("levy_rillet_request_duration_seconds", {}).get("type") == "histogram" and
              any(s[0] == "levy_rillet_request_duration_seconds_count" and s[2] >= 1
                  for s in fams["levy_rillet_request_duration_seconds"]["samples"]),
              fams.get("levy_rillet_request_duration_seconds", {}).get("samples", [])[:3])
        check("levy_writebacks_total{result=written} >= 1 and failed at 0",
              (value(fams, "levy_writebacks_total", result="written") or 0) >= 1 and
              value(fams, "levy_writebacks_total", result="failed") == 0, samples(fams, "levy_writebacks_total"))
        check("levy_calculation_duration_seconds observed", any(
            s[0] == "levy_calculation_duration_seconds_count" and s[2] >= 1
            for s in fams.get("levy_calculation_duration_seconds", {}).get("samples", [])), "")
        check("levy_reconciliation_drift_total counts the difference (repaired)",
              (value(fams, "levy_reconciliation_drift_total", action="repaired") or 0) >= 1,
              samples(fams, "levy_reconciliation_drift_total"))
        check("levy_reconciliation_last_drift{connection} = the run's drift",
              run and value(fams, "levy_reconciliation_last_drift", connection=env.cid) == run["drift"],
              samples(fams, "levy_reconciliation_last_drift"))
        kinds = {lab.get("kind") for lab, _ in samples(fams, "levy_jobs")}
        check("levy_jobs by kind and state", "rillet.writeback" in kinds or "rillet.calculate" in kinds, kinds)
        ages = samples(fams, "levy_jobs_oldest_queued_age_seconds")
        probe = value(fams, "levy_jobs_oldest_queued_age_seconds", kind="rillet.metrics_probe")
        check("levy_jobs_oldest_queued_age_seconds by kind: the job queued 2 minutes ago is >= 120 s old",
              probe is not None and 120 <= probe < 3600 and all(val >= 0 for _, val in ages), ages)
        check("levy_jobs counts it as queued", value(fams, "levy_jobs", kind="rillet.metrics_probe",
                                                     state="queued") == 1, samples(fams, "levy_jobs")[:8])
        check("levy_webhook_deliveries_total: ignored and invalid_signature",
              (value(fams, "levy_webhook_deliveries_total", result="ignored") or 0) >= 1 and
              value(fams, "levy_webhook_deliveries_total", result="invalid_signature") == 1,
              samples(fams, "levy_webhook_deliveries_total"))
        check("levy_reloads_total is a counter of the generations swapped in (%d)" % swapped,
              fams.get("levy_reloads_total", {}).get("type") == "counter" and
              value(fams, "levy_reloads_total") == swapped and
              fams.get("levy_reload_failures_total", {}).get("type") == "counter" and
              value(fams, "levy_reload_failures_total") == 0, (rl, fams.get("levy_reloads_total")))
        check("levy_http_requests_total by route and status",
              value(fams, "levy_http_requests_total", route="/admin/reload", status="200") == 1,
              samples(fams, "levy_http_requests_total")[:5])

        # -- a removed connection's series leave /metrics (and a schedule tick does not bring them back)
        def conn_series(t):
            return [ln for ln in t.splitlines() if not ln.startswith("#") and 'connection="%s"' % env.cid in ln]
        check("the connection's series are there before its removal",
              any(ln.startswith("levy_connection_health{") for ln in conn_series(text)) and
              any(ln.startswith("levy_reconciliation_last_drift{") for ln in conn_series(text)), conn_series(text))
        st, _, dtext, _ = env.L("DELETE", "/v1/connections/" + env.cid)
        check("the connection is removed", st in (200, 204), dtext[:200])
        st, _, after, _ = env.L("GET", "/metrics")
        check("right after its removal no series names the connection", st == 200 and not conn_series(after),
              conn_series(after))
        # the connector's tick marks a removed connection 'deleted' (and publishes the gauges of
        # the others): once it has, a scrape still shows none of its series
        def health_state():
            c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=20)  # a WAL reader
            try:
                return c.execute("SELECT health_state FROM connections WHERE id = ?", (env.cid,)).fetchone()[0]
            finally:
                c.close()
        ticked = common.wait_for(lambda: health_state() == "deleted", 60, 0.2)
        check("a schedule tick ran after the removal", ticked, "")
        st, _, after, _ = env.L("GET", "/metrics")
        check("after a schedule tick no series names the removed connection", st == 200 and not conn_series(after),
              conn_series(after))

        # -- promtool, when installed (Debian's prometheus package)
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                               timeout=60)
            check("promtool check metrics: no problem", p.returncode == 0 and not p.stdout.strip() and
                  not p.stderr.strip(), (p.returncode, p.stdout[-800:], p.stderr[-800:]))
            p = subprocess.run([promtool, "check", "rules", os.path.join(SRC, "docs", "alerts.yml")],
                               capture_output=True, text=True, timeout=60)
            check("promtool check rules docs/alerts.yml", p.returncode == 0, (p.stdout[-800:], p.stderr[-800:]))
        else:
            print("note: promtool not installed (apt-get install prometheus): its checks skipped", flush=True)


if __name__ == "__main__":
    common.run_main(main)
