"""The Debian packages' life cycle on a real dpkg: run by test_ops.py case `install` as root
inside a chroot whose root is a throw-away overlay of this machine's / (a private mount
namespace: nothing reaches the host). Installs levy, serves with the unit's own ExecStart and
reloads with its ExecReload as the levy user, adds levy-sim, upgrades, removes and purges,
checking what each maintainer script must leave behind.

usage: install_inner.py DIR PORT     (DIR holds levy_*.deb, levy-sim_*.deb and harness.py)
levy runs as the levy user through harness.as_user: setpriv sets its parent-death signal
after the change of user, so this script killed (its own parent-death signal from
test_ops.py, or ctest's timeout) does not leave levy serving in the overlay.
Prints "ok - ..." / "FAIL - ..." lines; exit 1 when a check failed.
"""
import glob
import grp
import os
import pwd
import re
import shlex
import signal
import stat
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (copied beside this script by test_ops.py's case install)

DIR, PORT = sys.argv[1], int(sys.argv[2])
FAILS = []


def check(what, cond, detail=""):
    print("%s - %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        FAILS.append(what)
        if detail != "":
            print("       %s" % str(detail)[:3000])
    return cond


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, **kw)


def wait_for(fn, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.1)
    return False


def unit_values(key):
    with open("/usr/lib/systemd/system/levy.service") as f:
        return [ln.split("=", 1)[1].strip() for ln in f if ln.startswith(key + "=")]


def unit_env():
    """The environment levy.service gives its processes: Environment= then EnvironmentFile=."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for v in unit_values("Environment"):
        k, _, val = v.partition("=")
        env[k] = val
    for v in unit_values("EnvironmentFile"):
        path = v.lstrip("-")
        if os.path.exists(path):
            with open(path) as f:
                for ln in f:
                    m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", ln.strip())
                    if m:
                        env[m.group(1)] = m.group(2)
    return env


def as_levy(cmd, env):
    """cmd (a unit command line) as the unit's User=/Group=, exec'ed as systemd does (setpriv:
    no parent process in between, the environment as given), killed if this script dies."""
    return harness.as_user(unit_values("User")[0], unit_values("Group")[0], cmd)


def healthz():
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % PORT, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def main():
    levy = glob.glob(os.path.join(DIR, "levy_*.deb"))[0]
    sim = glob.glob(os.path.join(DIR, "levy-sim_*.deb"))[0]
    check("no levy user before the install (a fresh overlay)", sh("getent", "passwd", "levy").returncode != 0)

    # ---- install
    r = sh("dpkg", "-i", levy)
    check("dpkg -i levy: exit 0", r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:])
    check("dpkg -i levy: no warning from the maintainer scripts",
          not re.search(r"warning|error", r.stdout + r.stderr, re.I), r.stdout + r.stderr)
    try:
        pw = pwd.getpwnam("levy")
        check("postinst made levy a system user without a login shell",
              pw.pw_uid < 1000 and pw.pw_shell == "/usr/sbin/nologin" and pw.pw_dir == "/var/lib/levy", pw)
    except KeyError:
        check("postinst created the levy user", False)
        return
    st = os.stat("/var/lib/levy")
    check("/var/lib/levy is levy:levy 0700", st.st_uid == pw.pw_uid and stat.S_IMODE(st.st_mode) == 0o700, st)
    st = os.stat("/etc/levy/levy.env")
    check("/etc/levy/levy.env is root:levy 0640",
          st.st_uid == 0 and st.st_gid == grp.getgrnam("levy").gr_gid and stat.S_IMODE(st.st_mode) == 0o640, st)
    wants = "/etc/systemd/system/multi-user.target.wants/levy.service"
    check("deb-systemd-helper enabled levy.service (multi-user.target.wants)", os.path.islink(wants))
    r = sh("dpkg", "--verify", "levy")
    check("dpkg --verify levy: every file as shipped (md5sums right)", r.returncode == 0 and not r.stdout.strip(),
          r.stdout + r.stderr)
    r = sh("man", "-w", "levy")
    check("man levy finds levy(1)", r.returncode == 0 and "levy.1" in r.stdout, r.stdout + r.stderr)

    # ---- the service's own command lines, as the levy user, in the unit's environment
    env = unit_env()
    env["LEVY_LISTEN"] = "127.0.0.1:%d" % PORT
    start = shlex.split(unit_values("ExecStart")[0])
    reload_cmd = shlex.split(unit_values("ExecReload")[0])
    log = open("/tmp/levy-install.log", "w")
    p = subprocess.Popen(as_levy(start, env), env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
    try:
        up = wait_for(lambda: p.poll() is None and healthz(), 120)
        if not check("the unit's ExecStart serves as the levy user", up, open("/tmp/levy-install.log").read()[-2000:]):
            return
        check("the first start wrote the API token into /var/lib/levy (0600, owned by levy)",
              os.stat("/var/lib/levy/api-token").st_uid == pw.pw_uid and
              stat.S_IMODE(os.stat("/var/lib/levy/api-token").st_mode) == 0o600)
        r = sh(*as_levy(reload_cmd, env), env=env)
        check("the unit's ExecReload (levy reload) as the levy user: exit 0, unchanged",
              r.returncode == 0 and '"status":"unchanged"' in r.stdout, (r.returncode, r.stdout, r.stderr))
        os.makedirs("/usr/share/levy/scripts/zz", exist_ok=True)
        with open("/usr/share/levy/scripts/zz/broken.lua", "w") as f:
            f.write("return {  -- broken\n")
        r = sh(*as_levy(reload_cmd, env), env=env)
        check("ExecReload fails (exit 1) on a rejected reload and names the file",
              r.returncode == 1 and "broken.lua" in r.stderr, (r.returncode, r.stdout, r.stderr))
        check("levy still serves after the rejected reload", healthz())
        os.remove("/usr/share/levy/scripts/zz/broken.lua")
        os.rmdir("/usr/share/levy/scripts/zz")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        log.close()
    check("levy (as the levy user) stops with exit 0 on SIGTERM", rc == 0, rc)

    # ---- levy-sim
    r = sh(*as_levy(["/usr/bin/levy", "sim", "--data-dir", "/tmp/simdata"], env), env=env)
    check("levy sim without levy-sim: exit 1 naming the package", r.returncode == 1 and "levy-sim" in r.stderr,
          (r.returncode, r.stderr))
    r = sh("dpkg", "-i", sim)
    check("dpkg -i levy-sim: exit 0", r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:])
    r = sh("/usr/bin/levy", "check", cwd="/tmp")
    check("levy check loads the installed plugins/sim", r.returncode == 0 and "plugins/sim/handler.lua" in r.stdout,
          r.stdout[-800:] + r.stderr[-500:])

    # ---- upgrade (the same version again: postinst configure with the old version in $2)
    with open("/etc/levy/levy.env", "a") as f:
        f.write("LEVY_LOG_FORMAT=json\n")
    r = sh("dpkg", "-i", levy)
    check("dpkg -i levy over itself (upgrade path): exit 0", r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:])
    with open("/etc/levy/levy.env") as f:
        check("the edited conffile levy.env survives the upgrade", "LEVY_LOG_FORMAT=json" in f.read())
    st = os.stat("/etc/levy/levy.env")
    check("levy.env stays root:levy 0640 after the upgrade",
          st.st_gid == grp.getgrnam("levy").gr_gid and stat.S_IMODE(st.st_mode) == 0o640, st)

    # ---- remove, purge
    r = sh("dpkg", "-r", "levy-sim", "levy")
    check("dpkg -r levy-sim levy: exit 0", r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:])
    check("removed: /usr/bin/levy gone", not os.path.exists("/usr/bin/levy"))
    check("removed: the conffile and /var/lib/levy are kept",
          os.path.exists("/etc/levy/levy.env") and os.path.exists("/var/lib/levy/api-token"))
    mask = "/etc/systemd/system/levy.service"
    check("removed: levy.service is masked (-> /dev/null), so the enablement kept for a reinstall "
          "cannot start a unit whose binary is gone",
          os.path.islink(mask) and os.readlink(mask) == "/dev/null", os.path.lexists(mask) and os.readlink(mask))
    r = sh("dpkg", "-P", "levy")
    check("dpkg -P levy: exit 0, says /var/lib/levy is kept",
          r.returncode == 0 and "kept /var/lib/levy" in r.stdout + r.stderr, r.stdout[-2000:] + r.stderr[-2000:])
    check("purged: /etc/levy/levy.env gone", not os.path.exists("/etc/levy/levy.env"))
    check("purged: no mask and no enablement left (deb-systemd-helper purge, unmask)",
          not os.path.lexists(mask) and not os.path.lexists(wants))
    check("purged: the tax audit trail /var/lib/levy is kept", os.path.exists("/var/lib/levy/levy.db"))
    r = sh("dpkg", "-s", "levy")
    check("dpkg knows no levy any more", r.returncode != 0 or "not-installed" in r.stdout, r.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failure
        import traceback
        traceback.print_exc()
        check("install_inner ran to the end", False, e)
    print("%d failed" % len(FAILS) if FAILS else "all ok")
    sys.exit(1 if FAILS else 0)
