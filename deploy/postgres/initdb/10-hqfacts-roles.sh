#!/usr/bin/env bash
# First start of the compose `postgres` container (docker-entrypoint-initdb.d): hqfacts' two roles.
#   hqfacts      migration owner: owns the database, its public schema and (after `hqfacts migrate`) the tables
#   hqfacts_app  runtime role: data rights only, granted by every migration; no DDL, no CREATEDB
# The superuser (POSTGRES_USER, default postgres) is for the operator only; no service connects with it.
# Passwords come from deploy/.env (HQ_PG_OWNER_PASSWORD, HQ_PG_APP_PASSWORD), read with \getenv so they are
# never on a command line. Runs once, on an empty data directory (the image's rule).
set -euo pipefail
: "${HQ_PG_OWNER_PASSWORD:?set HQ_PG_OWNER_PASSWORD in deploy/.env}"
: "${HQ_PG_APP_PASSWORD:?set HQ_PG_APP_PASSWORD in deploy/.env}"
psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv owner_pw HQ_PG_OWNER_PASSWORD
\getenv app_pw HQ_PG_APP_PASSWORD
CREATE ROLE hqfacts LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE hqfacts_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_pw';
ALTER DATABASE :"DBNAME" OWNER TO hqfacts;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO hqfacts, hqfacts_app;
SQL
