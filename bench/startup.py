#!/usr/bin/env python3
"""B7 (perf-anchors): time from exec of `levy serve` to its first 200 from GET /healthz.
usage: startup.py LEVY SCRIPTS PLUGINS PORT DATA_DIR RUNS [fresh|existing]
  fresh:    every run starts on an empty data dir (creates the database, runs migrations)
  existing: every run starts on DATA_DIR as it is (after a kill -9 it recovers the WAL)
Polls a TCP connect + GET /healthz every 1 ms; the server is pinned to CPU 0 (taskset), the
poller runs where it is started. Stops each server with SIGTERM (fresh) or leaves the last one
running and prints its pid (existing, RUNS=1: the caller measures it further).
Prints "median_ms=… max_ms=… runs=…" and, with existing, "pid=…"."""
import os, shutil, signal, socket, subprocess, sys, time

levy, scripts, plugins, port, data, runs, mode = sys.argv[1:8]
port, runs = int(port), int(runs)
env = dict(os.environ, LEVY_API_TOKEN=os.environ.get("BENCH_TOKEN", "bench-token-0123456789"))


def healthz():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    except OSError:
        return False
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


times, last = [], None
for i in range(runs):
    d = data if mode == "existing" else "%s/fresh-%d" % (data, i)
    if mode != "existing":
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    log = open(os.path.join(d, "startup.log"), "ab")
    t0 = time.perf_counter()
    p = subprocess.Popen(["taskset", "-c", "0", levy, "serve", "--listen", "127.0.0.1:%d" % port,
                          "--data-dir", d, "--scripts", scripts, "--plugins", plugins],
                         stdout=log, stderr=log, env=env)
    while not healthz():
        if p.poll() is not None:
            sys.exit("levy exited with %s (see %s/startup.log)" % (p.returncode, d))
        if time.perf_counter() - t0 > 30:
            p.kill()
            sys.exit("levy not ready in 30 s")
        time.sleep(0.001)
    times.append((time.perf_counter() - t0) * 1e3)
    if mode == "existing" and i == runs - 1:
        last = p
    else:
        p.send_signal(signal.SIGTERM)
        p.wait()
times.sort()
print("median_ms=%.1f max_ms=%.1f runs=%d" % (times[(len(times) - 1) // 2], times[-1], len(times)))
if last:
    print("pid=%d" % last.pid)
