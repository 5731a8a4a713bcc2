#!/bin/bash
# Start a throwaway PostgreSQL cluster on loopback for the store's tests and benchmarks, and print
# its connection URL (the only thing on stdout). Trust authentication, from 127.0.0.1 only; the
# Unix socket lives in the cluster's own folder. Nothing is installed or changed outside DIR.
#
#   apt-get install -y postgresql            (once, as root; Debian's packages)
#   scripts/start-postgres.sh [DIR]          start (default DIR: /tmp/supportdrill-pg); prints
#                                            postgresql://supportdrill@127.0.0.1:PORT/supportdrill
#   scripts/start-postgres.sh --stop [DIR]
#
# The port is a free one picked at start (or $SD_PG_PORT). As root, the cluster runs as the
# 'postgres' user the package creates (PostgreSQL refuses to run as root); otherwise as you.
# Typical use:  export SUPPORTDRILL_TEST_POSTGRES="$(bash scripts/start-postgres.sh)"
set -eu

STOP=0
if [ "${1:-}" = "--stop" ]; then
    STOP=1
    shift
fi
DIR="${1:-/tmp/supportdrill-pg}"

BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "start-postgres.sh: PostgreSQL not installed (apt-get install -y postgresql)" >&2
    exit 2
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "$STOP" = 1 ]; then
    if [ -f "$DIR/data/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2
    fi
    exit 0
fi

if [ -f "$DIR/url" ] && [ -f "$DIR/data/postmaster.pid" ] \
    && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    cat "$DIR/url"  # already running
    exit 0
fi

PORT="${SD_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
rm -rf "$DIR"
mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || {
        echo "start-postgres.sh: no 'postgres' user to run the cluster as" >&2
        exit 2
    }
    chown postgres: "$DIR"
fi
as_owner "$BIN/initdb" -D "$DIR/data" -U supportdrill --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
    cat "$DIR/initdb.log" >&2
    exit 1
}
# Loopback only, trust only there; the socket in DIR, never /var/run.
as_owner sh -c "cat > '$DIR/data/pg_hba.conf'" <<HBA
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
HBA
as_owner sh -c "cat >> '$DIR/data/postgresql.conf'" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >&2 || {
    cat "$DIR/server.log" >&2
    exit 1
}
as_owner "$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U supportdrill -d postgres \
    -c "CREATE DATABASE supportdrill" >&2
URL="postgresql://supportdrill@127.0.0.1:$PORT/supportdrill"
echo "$URL" | as_owner sh -c "cat > '$DIR/url'"
echo "$URL"
