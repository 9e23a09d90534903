#!/bin/sh
# A throwaway PostgreSQL cluster for tests (issue 22). Unprivileged: the server runs as the
# calling user, or as `postgres` (runuser) when called as root, which PostgreSQL refuses to be.
#
#   tests/pg/cluster.sh start DIR PORT   create the cluster in DIR (first time) and start it on
#                                        127.0.0.1:PORT; prints the URL levy takes, e.g.
#                                        postgres://levy:PASSWORD@127.0.0.1:PORT/levy
#   tests/pg/cluster.sh pause DIR        stop the server, keep the data (`start` brings it back:
#                                        the tests of a database outage)
#   tests/pg/cluster.sh stop DIR         stop the server and delete the cluster (teardown)
#   tests/pg/cluster.sh url DIR          print the URL again
#
# The server outlives no test: `start` leaves a watchdog (its own session, like the server
# pg_ctl detaches) that does `stop DIR` when the process that ran `start` dies, even by SIGKILL
# (ctest's timeout): LEVY_PG_OWNER=PID names another process to follow (a shell script whose
# `$(cluster.sh start ...)` runs in a subshell gives its own $$), LEVY_PG_OWNER=none keeps the
# server until `stop`. The watchdog leaves on its own when the server it saw start stops
# (`pause`, `stop`). Linux (/proc).
#
# DIR need not exist. Only the loopback interface is listened on (run tests in `unshare -n`);
# there is no Unix socket (a long test path would overflow sun_path; never /var/run/postgresql). The role `levy` is a
# superuser with a random password (host connections use scram-sha-256, so a test sees the
# password travel in the URL: levy must never log it); the database is `levy`. fsync is off:
# a test cluster trades durability for speed. The binaries come from PG_BIN, else pg_config's
# bindir, else /usr/lib/postgresql/*/bin (Debian), else PATH.
set -eu

die() { echo "cluster.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: cluster.sh start DIR PORT | pause DIR | stop DIR | url DIR"
cmd=$1
dir=$2

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  b=$(command -v initdb 2>/dev/null || true)
  [ -n "$b" ] && { dirname "$b"; return; }
  die "no PostgreSQL server binaries (initdb): install the Debian package postgresql, or set PG_BIN"
}
BIN=$(pg_bin)

# as_pg CMD...: run as the cluster's owner (postgres when we are root)
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# proc_start PID: the process's start time (/proc/PID/stat field 22; tells a reused pid from the
# owner), empty when it is gone or a zombie
proc_start() {
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
  # shellcheck disable=SC2086 # split into the fields on purpose (no glob characters after comm)
  set -- $st
  [ "$1" = Z ] || eval "echo \${20}"
}

# The data directory. As root the server runs as postgres, which must reach it: when DIR's
# parents are not traversable by postgres (a test's mkdtemp dir is 0700 root), the data lives
# in a postgres-owned directory under ${TMPDIR:-/tmp} whose path DIR/pgdata.path records.
data_dir() {
  if [ -f "$dir/pgdata.path" ]; then cat "$dir/pgdata.path"; else echo "$dir/pgdata"; fi
}

case "$cmd" in
start)
  [ $# -eq 3 ] || die "usage: cluster.sh start DIR PORT"
  port=$3
  case "$port" in '' | *[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
  mkdir -p "$dir"
  data=$(data_dir)
  if [ ! -f "$data/PG_VERSION" ]; then
    home="$dir"
    if [ "$(id -u)" = 0 ]; then
      getent passwd postgres >/dev/null || die "running as root needs the user postgres (Debian package postgresql)"
      if ! runuser -u postgres -- test -x "$dir"; then
        home=$(mktemp -d "${TMPDIR:-/tmp}/levy-pg.XXXXXX")
        chmod 755 "$home"
        echo "$home/pgdata" >"$dir/pgdata.path"
      fi
    fi
    data="$home/pgdata"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    chmod 700 "$data"
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$pw" >"$dir/password"
    chmod 600 "$dir/password"
    pwfile="$home/pgpw"
    echo "$pw" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    chmod 600 "$pwfile"
    as_pg "$BIN/initdb" -D "$data" -U levy --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
    cat >>"$data/postgresql.conf" <<EOF
# tests/pg/cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 32MB
EOF
    echo "$port" >"$dir/port"
  else
    # a restart may move the port: the tests ask for the same one
    sed -i "s/^port = .*/port = $port/" "$data/postgresql.conf"
    echo "$port" >"$dir/port"
  fi
  log="$data/server.log"
  as_pg "$BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 2>&1 ||
    { cat "$log" >&2 2>/dev/null || true; die "pg_ctl start failed (port $port in use?)"; }
  # the database levy uses, once
  if [ ! -f "$dir/created" ]; then
    PGPASSWORD=$(cat "$dir/password") "$BIN/psql" -h 127.0.0.1 -p "$port" -U levy -d postgres -qAt -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE levy" >/dev/null || die "CREATE DATABASE failed"
    touch "$dir/created"
  fi
  owner=${LEVY_PG_OWNER:-$PPID}
  if [ "$owner" != none ]; then
    case "$owner" in '' | *[!0-9]*) die "LEVY_PG_OWNER must be a pid or none, got '$owner'" ;; esac
    pm=$(head -n 1 "$data/postmaster.pid")
    ostart=$(proc_start "$owner")
    # all three descriptors away from the caller's pipes (subprocess.run(capture_output) waits
    # for their EOF); setsid: a kill of the caller's process group spares it
    setsid sh "$0" watch "$dir" "$owner" "${ostart:-gone}" "$pm" </dev/null >/dev/null 2>&1 &
  fi
  echo "postgres://levy:$(cat "$dir/password")@127.0.0.1:$port/levy"
  ;;
watch)
  # internal (see above): cluster.sh watch DIR OWNER OWNER_START POSTMASTER_PID
  [ $# -eq 5 ] || die "usage: cluster.sh watch DIR OWNER OWNER_START POSTMASTER_PID"
  data=$(data_dir)
  while :; do
    # the server we saw start has stopped (pause, stop, a later start has its own watchdog)
    [ "$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)" = "$5" ] || exit 0
    [ "$(proc_start "$3")" = "$4" ] || break
    sleep 1
  done
  exec sh "$0" stop "$dir"
  ;;
pause)
  data=$(data_dir)
  [ -f "$data/PG_VERSION" ] || die "no cluster in $dir"
  as_pg "$BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  ;;
stop)
  data=$(data_dir)
  if [ -f "$data/PG_VERSION" ]; then
    as_pg "$BIN/pg_ctl" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  [ -f "$dir/pgdata.path" ] && rm -rf "$(dirname "$data")"
  rm -f "$dir/pgdata.path" "$dir/password" "$dir/port" "$dir/created" "$dir/initdb.log"
  ;;
url)
  [ -f "$dir/password" ] || die "no cluster in $dir"
  echo "postgres://levy:$(cat "$dir/password")@127.0.0.1:$(cat "$dir/port")/levy"
  ;;
*)
  die "unknown command '$cmd' (start, pause, stop, url)"
  ;;
esac
