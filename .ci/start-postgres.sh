#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster and make the test role and database (idempotent).
set -euo pipefail

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version *main"; then
    as_postgres "pg_createcluster $version main" || pg_createcluster "$version" main
fi
pg_ctlcluster "$version" main start 2>/dev/null || as_postgres "pg_ctlcluster $version main start" 2>/dev/null || true
for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

as_postgres "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'minlaege') THEN
        CREATE ROLE minlaege LOGIN PASSWORD 'minlaege';
    END IF;
END $$;
SELECT 'CREATE DATABASE minlaege_test OWNER minlaege'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'minlaege_test') \gexec
SQL
echo "PostgreSQL $version is up with database minlaege_test"
