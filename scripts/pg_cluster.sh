#!/usr/bin/env bash
# A throwaway PostgreSQL (15) cluster for the test suite: `make test-pg`, `.ci/run`.
#
#   scripts/pg_cluster.sh start    # initdb + start on 127.0.0.1:<free port>; prints the URL
#   scripts/pg_cluster.sh url      # postgres://postgres@127.0.0.1:PORT/carecircle
#   scripts/pg_cluster.sh status   # exit 0 if running
#   scripts/pg_cluster.sh stop     # fast shutdown, then the data directory is removed
#
# The cluster lives in a fresh directory under /tmp, listens on loopback only and
# trusts every local connection (-A trust): it is for tests, never for data.
# Its data directory and port are kept in $PGSTATE (default /tmp/carecircle-pg.state),
# so several clusters can run side by side with different PGSTATE values.
# initdb refuses to run as root: as root, the server runs as the `postgres` user.
set -euo pipefail

STATE=${PGSTATE:-/tmp/carecircle-pg.state}
DBNAME=carecircle
DBUSER=postgres

die() { echo "pg_cluster.sh: $*" >&2; exit 1; }
say() { echo "pg_cluster.sh: $*" >&2; }

# Directory holding initdb, pg_ctl and postgres: Debian's 15 first, then pg_config, then PATH.
find_bindir() {
    local dir newest
    newest=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV | head -n 1)
    for dir in /usr/lib/postgresql/15/bin "$newest"; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then echo "$dir"; return; fi
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then echo "$dir"; return; fi
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    die "PostgreSQL server programs (initdb, pg_ctl) not found; install them: apt-get install postgresql"
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            # shellcheck disable=SC2016  # expanded by the postgres user's sh, not here
            su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"
        fi
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

read_state() {
    [[ -f $STATE ]] || return 1
    PGDIR='' PGPORT='' PGBIN=''
    local key value
    while IFS='=' read -r key value; do
        case $key in
            PGDIR) PGDIR=$value ;;
            PGPORT) PGPORT=$value ;;
            PGBIN) PGBIN=$value ;;
        esac
    done <"$STATE"
    [[ -n $PGDIR && -n $PGPORT && -n $PGBIN ]]
}

is_running() {
    read_state || return 1
    [[ -d $PGDIR/data ]] || return 1
    (cd "$PGDIR" && as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1)
}

url() {
    echo "postgres://$DBUSER@127.0.0.1:$PGPORT/$DBNAME"
}

# Only ever delete a directory this script made.
remove_dir() {
    local dir=$1
    case $dir in
        /tmp/carecircle-pg.*) rm -rf -- "$dir" ;;
        *) say "not removing unexpected directory $dir" ;;
    esac
}

cmd_start() {
    if is_running; then
        say "already running on port $PGPORT (state $STATE)"
        url
        return
    fi
    if [[ -f $STATE ]]; then
        say "removing stale state $STATE"
        if read_state; then remove_dir "$PGDIR"; fi
        rm -f -- "$STATE"
    fi

    # Globals, not locals: the EXIT trap below needs them.
    bindir=$(find_bindir)
    dir=$(mktemp -d /tmp/carecircle-pg.XXXXXX)
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the cluster"
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    # Remove the directory again if anything below fails.
    trap 'cd /; as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; remove_dir "$dir"' EXIT
    cd "$dir"  # the postgres user may not be allowed into the caller's directory

    say "initdb in $dir/data ($("$bindir/postgres" --version))"
    as_owner "$bindir/initdb" -D "$dir/data" -U "$DBUSER" -A trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    # A free port can be taken by someone else between the probe and the bind: retry.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# --- carecircle throwaway test cluster (scripts/pg_cluster.sh), attempt $attempt ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
max_connections = 200
EOF
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
            break
        fi
        say "start on port $port failed (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 || true
        port=
    done
    [[ -n $port ]] || die "could not start PostgreSQL; log: $dir/server.log"

    PGDIR=$dir PGPORT=$port PGBIN=$bindir
    local psql=$bindir/psql
    [[ -x $psql ]] || psql=psql
    "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DBUSER" -d postgres \
        -c "CREATE DATABASE $DBNAME" >/dev/null
    printf 'PGDIR=%s\nPGPORT=%s\nPGBIN=%s\n' "$dir" "$port" "$bindir" >"$STATE"
    trap - EXIT
    say "PostgreSQL running on 127.0.0.1:$port, data in $dir (state $STATE)"
    url
}

cmd_stop() {
    if ! read_state; then
        say "no cluster recorded in $STATE: nothing to stop"
        return
    fi
    if [[ -d $PGDIR/data ]]; then
        (cd "$PGDIR" && as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 60 stop >/dev/null) ||
            say "pg_ctl stop failed (already stopped?)"
    fi
    remove_dir "$PGDIR"
    rm -f -- "$STATE"
    say "stopped and removed $PGDIR"
}

cmd_url() {
    read_state || die "no cluster recorded in $STATE; run: scripts/pg_cluster.sh start"
    url
}

cmd_status() {
    if is_running; then
        say "running: $(url) (data $PGDIR)"
    else
        say "not running"
        return 1
    fi
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|url|status   (state file: \$PGSTATE, default /tmp/carecircle-pg.state)" >&2; exit 2 ;;
esac
