#!/usr/bin/env bash
# A PostgreSQL hot standby of this machine's main cluster, for the read-replica tests.
#   .ci/replica.sh start   base backup (first time) and start on REPLICA_PORT (5433), streaming
#   .ci/replica.sh stop    fast shutdown (the fault test's "replica lost")
#   .ci/replica.sh status  exit 0 when it accepts connections
# The main cluster only gains a pg_hba line for local replication connections (reload).
set -euo pipefail

PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
REPLICA_DIR="${REPLICA_DIR:-/var/lib/postgresql/streamify-ci-replica}"
VERSION="$(ls /etc/postgresql | sort -n | tail -1)"
BIN="/usr/lib/postgresql/$VERSION/bin"
MAIN_HBA="/etc/postgresql/$VERSION/main/pg_hba.conf"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ready() { pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q; }

start() {
  if ready; then return 0; fi
  if ! grep -qE '^host\s+replication\s+all\s+127\.0\.0\.1/32' "$MAIN_HBA"; then
    echo "host replication all 127.0.0.1/32 trust  # streamify CI hot standby" >>"$MAIN_HBA"
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" main reload
    sleep 1
  fi
  if [ ! -f "$REPLICA_DIR/standby.signal" ]; then
    rm -rf "$REPLICA_DIR"
    install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
      -D "$REPLICA_DIR" -X stream -R --checkpoint=fast
    as_postgres tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<EOF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 64MB
EOF
    as_postgres tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  fi
  as_postgres "$BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w -t 60 start >/dev/null
  for _ in $(seq 60); do ready && break; sleep 0.5; done
  ready
}

stop() {
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w -t 60 stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ready ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
