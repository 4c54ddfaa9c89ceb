# Sourced: start_throwaway_postgres starts a PostgreSQL cluster in a temporary folder on 127.0.0.1 and exports
# TEST_DATABASE_URL; stop_throwaway_postgres stops it and removes the folder. Works as root (runs as `postgres`).
start_throwaway_postgres() {
  local bin port
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_TMP=$(mktemp -d /tmp/cc-pg.XXXXXX)
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  chown postgres "$PG_TMP"
  su postgres -s /bin/sh -c "'$bin/initdb' -D '$PG_TMP/data' -A trust -U postgres -E UTF8 >/dev/null"
  su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$PG_TMP/data' -l '$PG_TMP/log' -w \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c max_connections=200\" start >/dev/null"
  PG_STOP="$bin/pg_ctl"
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "throwaway PostgreSQL at $TEST_DATABASE_URL"
}

stop_throwaway_postgres() {
  [ -n "${PG_TMP:-}" ] || return 0
  su postgres -s /bin/sh -c "'$PG_STOP' -D '$PG_TMP/data' -m immediate stop >/dev/null" || true
  rm -rf "$PG_TMP"
}
