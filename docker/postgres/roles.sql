-- Run by start-postgres.sh at every start of the postgres service, as the
-- superuser, on the application's database. Idempotent: it creates the
-- application's two roles if missing, sets their passwords from the
-- secrets (so a changed secret takes effect at the next start), and hands
-- the schema and everything in it to the owner.
--
--   accounts_owner  owns the schema and its tables; the migrate service
--                   connects as it. Not a superuser: it can change this
--                   database's tables, not the cluster.
--   accounts_api    what the api serves requests with: reads and writes rows,
--                   and nothing else (no DDL, no temporary tables, no server
--                   files, no other schema).
--   accounts_monitor  what prometheus-postgres-exporter connects as
--                   (compose.monitoring.postgres.yaml): pg_monitor and nothing
--                   else, so it reads the server's statistics and no row of
--                   the application's. It may log in only when that file hands
--                   the server its password (the secret
--                   postgres_monitor_password); without it, NOLOGIN.
--   accounts_backup  what the backup service streams the write-ahead log as
--                   (compose.postgres.backup.yaml): REPLICATION and nothing
--                   else, and no password: it proves itself with its client
--                   certificate (docker/pgbackrest/start-postgres.sh). It may
--                   log in only when that wrapper turns the stream on
--                   (ACCOUNTS_WAL_STREAM sync or async); without it, NOLOGIN.
--
-- A volume of the previous release, whose tables the superuser created, is
-- adopted here: their ownership moves to accounts_owner.
\set owner_password `cat /run/secrets/postgres_owner_password`
\set api_password `cat /run/secrets/postgres_api_password`
\set monitor_password `cat /run/secrets/postgres_monitor_password 2>/dev/null || true`
\getenv wal_stream ACCOUNTS_WAL_STREAM
\if :{?wal_stream}
\else
\set wal_stream ''
\endif

BEGIN;

SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_owner') AS make_owner,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_api') AS make_api,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_monitor') AS make_monitor,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_backup') AS make_backup,
       :'monitor_password' <> '' AS monitor_login,
       :'wal_stream' IN ('sync', 'async') AS backup_login,
       :'wal_stream' = 'sync' AS api_waits_for_backup \gset
\if :make_owner
CREATE ROLE accounts_owner;
\endif
\if :make_api
CREATE ROLE accounts_api;
\endif
\if :make_monitor
CREATE ROLE accounts_monitor;
\endif
\if :make_backup
CREATE ROLE accounts_backup;
\endif
-- Stated every time, so that a role someone widened by hand is narrowed again.
ALTER ROLE accounts_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT 10 PASSWORD :'owner_password';
ALTER ROLE accounts_api WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'api_password';
\if :monitor_login
ALTER ROLE accounts_monitor WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT 3 PASSWORD :'monitor_password';
\else
ALTER ROLE accounts_monitor WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD NULL;
\endif
-- The statistics views and functions, read-only; no table of the application.
GRANT pg_monitor TO accounts_monitor;
\if :backup_login
ALTER ROLE accounts_backup WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE REPLICATION NOBYPASSRLS
  CONNECTION LIMIT 3 PASSWORD NULL;
\else
ALTER ROLE accounts_backup WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD NULL;
\endif
-- With a synchronous stream (synchronous_standby_names names the backup), a
-- commit of the api returns only once the backup service has the commit's
-- WAL on its own disk. Every other role's commits are the server's default,
-- local, so that starting up, migrating and making these roles never wait for
-- a stream that cannot connect before this script has run.
\if :api_waits_for_backup
ALTER ROLE accounts_api SET synchronous_commit = 'on';
\else
ALTER ROLE accounts_api RESET synchronous_commit;
\endif

-- Only the two roles connect; no one gets temporary tables by default.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO accounts_owner, accounts_api, accounts_monitor;

-- The application's tables live in public: the owner owns it, the api may
-- only look names up in it. PUBLIC may not create there.
ALTER SCHEMA public OWNER TO accounts_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO accounts_api;

-- Adoption: whatever in public another role owns (the previous release's
-- superuser made every table) moves to the owner. A table's sequences follow it.
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN
    SELECT c.oid::regclass AS name,
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND c.relowner <> 'accounts_owner'::regrole
      -- Sequences that belong to a column move with their table.
      AND NOT (c.relkind = 'S' AND EXISTS (
        SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO accounts_owner', item.kind, item.name);
  END LOOP;
  FOR item IN
    SELECT p.oid::regprocedure AS name
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proowner <> 'accounts_owner'::regrole
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO accounts_owner', item.name);
  END LOOP;
END
$$;

-- The api's rights on what exists now, and on what the owner creates later.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO accounts_api;
-- UPDATE: the seed import moves identities past the ids it writes (setval).
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO accounts_api;
ALTER DEFAULT PRIVILEGES FOR ROLE accounts_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO accounts_api;
ALTER DEFAULT PRIVILEGES FOR ROLE accounts_owner IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO accounts_api;

-- Except on two records, once they exist (the api's migrations, run by the
-- owner, take the same rights back when they make them): the record of
-- migrations, which the api reads to check the schema but may not forge,
-- and the audit trail, to which it only adds.
DO $$
BEGIN
  IF to_regclass('public.kysely_migration') IS NOT NULL THEN
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON kysely_migration, kysely_migration_lock FROM accounts_api;
  END IF;
  IF to_regclass('public.audit_events') IS NOT NULL THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM accounts_api;
  END IF;
END
$$;

COMMIT;
