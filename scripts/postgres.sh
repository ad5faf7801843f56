# Makes sure a PostgreSQL server answers for the test suite (sourced by scripts/test).
# Uses DVC_TEST_POSTGRES_URL when set; otherwise the local server on 127.0.0.1:5432, installing
# and starting Debian's PostgreSQL if there is none. Never skips: no PostgreSQL, no green run.
ensure_postgres() {
  local url="${DVC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  if psql "$url" -qAtc 'select 1' >/dev/null 2>&1; then
    export DVC_TEST_POSTGRES_URL="$url"; return 0
  fi
  if [ -n "${DVC_TEST_POSTGRES_URL:-}" ]; then
    echo "PostgreSQL at DVC_TEST_POSTGRES_URL does not answer" >&2; return 1
  fi
  say "starting a local PostgreSQL for the tests"
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  local version
  version=$(ls /etc/postgresql | sort -n | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  if psql "$url" -qAtc 'select 1' >/dev/null 2>&1; then
    export DVC_TEST_POSTGRES_URL="$url"; return 0
  fi
  # A stock Debian cluster: password authentication over TCP and no `test` database.
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
  as_root su postgres -c "createdb test" 2>/dev/null || true
  url="postgres://postgres:postgres@127.0.0.1:5432/test"
  psql "$url" -qAtc 'select 1' >/dev/null
  export DVC_TEST_POSTGRES_URL="$url"
}
