"""The e2e harness's own process hygiene (no ports of its own: the system picks them).

    harness_self.py LEVY SRC

`harness.py pair` (the browser tests' levy + simulator) must stop both and exit on SIGTERM,
on SIGINT, when its stdin closes and when its parent dies by SIGKILL (stdin still held open
elsewhere, as when a shell or ctest handed it down); and a process harness.start() made must
not outlive a test killed by SIGKILL (ctest's timeout), nor may a PostgreSQL cluster that
tests/pg/cluster.sh started for it (pg_ctl detaches the server), nor a process it started
as another user (harness.as_user), nor its harness.tmpdir folders. Every wait is a poll with a generous
timeout, no timing is asserted."""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, wait_for  # noqa: E402

LEVY, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.py")
TOKEN = "harness-self-token-0123456789"
STOP_WAIT = 60  # generous: a loaded machine


def alive(pid):
    """pid exists and is not a zombie (a zombie has stopped; its parent reaps it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone(*pids):
    return wait_for(lambda: not any(alive(p) for p in pids), STOP_WAIT, 0.2)


def kill_left(*pids):
    for p in pids:
        if alive(p):
            os.kill(p, signal.SIGKILL)


def pair_cmd(tmp):
    return [sys.executable, HARNESS, "pair", LEVY, SRC, tmp, TOKEN, "--invoices", "0"]


def read_info(stream):
    line = stream.readline()
    try:
        return json.loads(line)
    except ValueError:
        return {"error": "not JSON: %r" % line}


def direct(how):
    """harness.py pair as our child with stdin a pipe of ours; how: SIGTERM, SIGINT, stdin."""
    tmp = harness.tmpdir(prefix="levy-hself-")
    h = subprocess.Popen(pair_cmd(tmp), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    info = read_info(h.stdout)
    if not check("pair %s: levy and sim up" % how, "levy_pid" in info and "sim_pid" in info, info):
        harness.stop(h)
        return
    pids = (info["levy_pid"], info["sim_pid"])
    if how == "stdin":
        h.stdin.close()
    else:
        h.send_signal(getattr(signal, how))
    exited = wait_for(lambda: h.poll() is not None, STOP_WAIT, 0.2)
    check("pair %s: harness.py exits" % how, exited, "still running")
    check("pair %s: exit status 0" % how, h.poll() == 0, h.poll())
    check("pair %s: levy and sim stopped" % how, gone(*pids),
          "alive: %s" % [p for p in pids if alive(p)])
    if h.poll() is None:
        h.kill()
    h.wait()
    kill_left(*pids)


def parent_killed():
    """harness.py pair under a parent that is killed by SIGKILL, while the harness's stdin
    stays open (ours, handed down): only the parent's death can tell it to stop."""
    tmp = harness.tmpdir(prefix="levy-hself-")
    r, w = os.pipe()
    code = ("import subprocess, sys\n"
            "h = subprocess.Popen(%r, stdin=%d)\n"
            "print(h.pid, flush=True)\n"
            "h.wait()\n") % (pair_cmd(tmp), r)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, pass_fds=(r,))
    os.close(r)
    hpid = int(parent.stdout.readline() or 0)
    info = read_info(parent.stdout)
    if not check("pair parent killed: levy and sim up", hpid and "levy_pid" in info, info):
        parent.kill()
        parent.wait()
        os.close(w)
        return
    pids = (info["levy_pid"], info["sim_pid"])
    parent.kill()
    parent.wait()
    check("pair parent killed: harness.py exits", gone(hpid), "still running")
    check("pair parent killed: levy and sim stopped", gone(*pids),
          "alive: %s" % [p for p in pids if alive(p)])
    os.close(w)
    kill_left(hpid, *pids)


def test_killed():
    """A test that started `levy sim` with harness.start() and is then killed by SIGKILL."""
    code = ("import os, sys, time\n"
            "sys.path.insert(0, %r)\n"
            "import harness\n"
            "tmp = harness.tmpdir(prefix='levy-hself-killed-')\n"
            "p = harness.start(harness.sim_cmd(%r, harness.any_port(), os.path.join(tmp, 'sim-data'), %r), "
            "os.path.join(tmp, 'sim.log'))\n"
            "print(p.pid, tmp, flush=True)\n"
            "time.sleep(600)\n") % (os.path.dirname(HARNESS), LEVY, SRC)
    t = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    line = (t.stdout.readline() or "0 -").split()
    pid, tmp = int(line[0]), line[1]
    if not check("test killed: sim started, its harness.tmpdir folder made", pid and alive(pid) and
                 os.path.isdir(tmp), line):
        t.kill()
        t.wait()
        return
    t.kill()
    t.wait()
    check("test killed by SIGKILL: its sim stopped", gone(pid), "sim %d still running" % pid)
    check("test killed by SIGKILL: its harness.tmpdir folder removed",
          wait_for(lambda: not os.path.lexists(tmp), STOP_WAIT, 0.2), "%s still there" % tmp)
    kill_left(pid)
    subprocess.run(["rm", "-rf", tmp])


def user_test_killed():
    """A test (root) that started a process as another user with harness.as_user (setpriv,
    as tests/e2e/ops/install_inner.py starts levy as the levy user) and is then killed by
    SIGKILL: the process must not stay behind (a parent-death signal set before the change of
    user is cleared by it; harness.as_user has setpriv set one after)."""
    import grp
    import pwd
    import shutil
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("skip - user test killed: needs root and setpriv")
        return
    nobody = pwd.getpwnam("nobody")
    cmd = harness.as_user(nobody.pw_name, grp.getgrgid(nobody.pw_gid).gr_name, ["sleep", "600"])
    code = ("import subprocess, time\n"
            "p = subprocess.Popen(%r)\n"
            "print(p.pid, flush=True)\n"
            "time.sleep(600)\n") % (cmd,)
    t = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = int(t.stdout.readline() or 0)

    def as_nobody():  # exec'ed: past setpriv's change of user and its prctl
        try:
            with open("/proc/%d/status" % pid) as f:
                st = f.read()
            return st.startswith("Name:\tsleep\n") and "\nUid:\t%d\t" % nobody.pw_uid in st
        except OSError:
            return False
    if not check("user test killed: its process runs (sleep) as nobody", pid and wait_for(as_nobody, STOP_WAIT, 0.1),
                 pid):
        t.kill()
        t.wait()
        kill_left(pid)
        return
    t.kill()
    t.wait()
    check("user test killed by SIGKILL: its process as another user stopped", gone(pid),
          "pid %d still running" % pid)
    kill_left(pid)


def pg_test_killed():
    """A test that started a throwaway PostgreSQL cluster with tests/pg/cluster.sh (as
    run_on_pg.py, reliab common.py pg_cluster_start and the replica rig do) and is then killed
    by SIGKILL: the postmaster must stop too (cluster.sh's watchdog on the test's pid)."""
    cluster = os.path.join(SRC, "tests", "pg", "cluster.sh")
    if subprocess.run(["sh", "-c", "command -v initdb || ls /usr/lib/postgresql/*/bin/initdb || "
                       "[ -n \"${PG_BIN:-}\" ]"], capture_output=True).returncode != 0:
        print("skip - pg test killed: no PostgreSQL server binaries (initdb)")
        return
    tmp = harness.tmpdir(prefix="levy-hself-pg-")
    cdir = os.path.join(tmp, "cluster")
    code = ("import os, subprocess, sys, time\n"
            "subprocess.run(['sh', %r, 'start', %r, sys.argv[1]], check=True, capture_output=True)\n"
            "pf = os.path.join(%r, 'pgdata.path')\n"
            "data = open(pf).read().strip() if os.path.exists(pf) else os.path.join(%r, 'pgdata')\n"
            "print(open(os.path.join(data, 'postmaster.pid')).readline().strip(), flush=True)\n"
            "time.sleep(600)\n") % (cluster, cdir, cdir, cdir)
    t = subprocess.Popen([sys.executable, "-c", code, str(harness.any_port())], stdout=subprocess.PIPE,
                         text=True)
    try:
        pid = int(t.stdout.readline() or 0)
        if not check("pg test killed: cluster started", pid and alive(pid), pid):
            return
        t.kill()
        t.wait()
        check("pg test killed by SIGKILL: its postgres stopped", gone(pid), "postmaster %d still running" % pid)
    finally:
        if t.poll() is None:
            t.kill()
            t.wait()
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True)
        subprocess.run(["rm", "-rf", tmp])


def main():
    for how in ("SIGTERM", "SIGINT", "stdin"):
        direct(how)
    parent_killed()
    test_killed()
    user_test_killed()
    pg_test_killed()


harness.run_main(main)
