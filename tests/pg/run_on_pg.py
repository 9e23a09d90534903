"""Runs an e2e script against PostgreSQL (issue 22): starts a throwaway cluster
(tests/pg/cluster.sh, a fresh database for this one test), writes a wrapper around LEVY that
sets LEVY_DATABASE_URL (unless the environment levy is started with names another database
of the cluster) and one LEVY_MASTER_KEY (so every levy the script starts, whatever its data
dir, seals with the key the database recorded), runs COMMAND with every argument equal to
LEVY replaced by the wrapper (the e2e harnesses start levy without the caller's LEVY_*
variables, so the environment alone would not reach it), stops and deletes the cluster, and
exits with COMMAND's status. `levy sim` ignores LEVY_DATABASE_URL (the simulator keeps its own
SQLite store).
Usage: run_on_pg.py SRC PORT LEVY COMMAND ARGS..."""
import base64
import glob
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 5:
        print("usage: run_on_pg.py SRC PORT LEVY COMMAND ARGS...", file=sys.stderr)
        return 2
    src, port, levy, cmd = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3]), sys.argv[4:]
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-onpg-")
    cdir = os.path.join(tmp, "cluster")
    try:
        r = subprocess.run(["sh", cluster, "start", cdir, port], capture_output=True, text=True)
        if r.returncode != 0:
            print("run_on_pg: cluster did not start:\n" + r.stderr, file=sys.stderr)
            return 1
        url = r.stdout.strip()
        key = base64.b64encode(os.urandom(32)).decode()
        wrapper = os.path.join(tmp, "levy")
        with open(wrapper, "w") as f:
            # a script may point one levy at another database of the cluster by setting
            # LEVY_DATABASE_URL itself (tests/e2e/connector: a fresh store for its second run)
            f.write("#!/bin/sh\nLEVY_DATABASE_URL=\"${LEVY_DATABASE_URL:-%s}\" LEVY_MASTER_KEY='%s' exec '%s' \"$@\"\n"
                    % (url, key, levy))
        os.chmod(wrapper, 0o700)
        cmd = [wrapper if os.path.abspath(a) == levy else a for a in cmd]
        env = dict(os.environ, LEVY_DATABASE_URL=url)
        print("run_on_pg: on postgres://levy:***@127.0.0.1:%s/levy: %s" % (port, " ".join(cmd)),
              flush=True)
        rc = subprocess.run(cmd, env=env).returncode
        if rc == 0:
            # the run really went through PostgreSQL: levy recorded its master key there
            psql = shutil.which("psql") or next(
                (b for b in sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)
            q = subprocess.run([psql, url, "-qAtc",
                                "SELECT count(*) FROM meta WHERE key = 'master_key_fingerprint'"],
                               capture_output=True, text=True) if psql else None
            if q is not None and (q.returncode != 0 or q.stdout.strip() != "1"):
                print("run_on_pg: FAIL - levy did not use the PostgreSQL store (%s%s)"
                      % (q.stdout.strip(), q.stderr.strip()), file=sys.stderr)
                return 1
            print("run_on_pg: ok   - the run used the PostgreSQL store")
        return rc
    finally:
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
