import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerResult, run } from '../../support/docker.ts';
import { asSuperuser as superuser, docker, REPO_ROOT, useStack } from '../stack';

const stack = useStack();

const containerOf = (service: string) => stack().compose.getContainer(`${service}-1`).getId();

/** SQL as the superuser, on this spec's stack. */
const asSuperuser = (query: string) => superuser(stack(), query);

interface Connect {
  readonly user?: string;
  /** A file under /run/secrets in the api container; the api's own password by default. */
  readonly passwordSecret?: string;
  /** `false` for a plain connection; a CA's PEM to verify the server with instead of the api's. */
  readonly ssl?: false | { ca: string };
}

/**
 * A connection from an api container, by service name, with the api's own
 * pg client: the path the api takes. Resolves to the rows as JSON, or
 * rejects with the error's message on stdout.
 */
async function fromApi(query: string, connect: Connect = {}): Promise<string> {
  const script = `
    const { Client } = require('pg');
    const { readFileSync } = require('node:fs');
    const connect = JSON.parse(process.argv[1]);
    const read = (file) => readFileSync(file, 'utf8').replace(/\\n$/, '');
    const client = new Client({
      host: 'postgres',
      database: 'accounts',
      user: connect.user ?? 'accounts_api',
      password: read('/run/secrets/' + (connect.passwordSecret ?? 'postgres_api_password')),
      ssl: connect.ssl === false ? false : { ca: connect.ssl?.ca ?? read('/run/secrets/postgres_ca') },
      connectionTimeoutMillis: 5000,
    });
    client.connect().then(() => client.query(process.argv[2])).then(
      (result) => { console.log(JSON.stringify(result.rows)); process.exit(0); },
      (error) => { console.log(error.message); process.exit(1); });`;
  return (
    await docker(['exec', '-w', '/app', containerOf('api'), 'node', '-e', script, JSON.stringify(connect), query])
  ).trim();
}

/** The message a refused statement or connection ends with. */
const refusal = (query: string, connect?: Connect) =>
  fromApi(query, connect).then(
    (rows) => `succeeded: ${rows}`,
    (error: { stdout: string }) => error.stdout.trim(),
  );

describe("the api's role, accounts_api", () => {
  beforeAll(async () => {
    await asSuperuser('CREATE SCHEMA IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.secrets (value text)');
  });

  it('reads and writes the rows of the application', async () => {
    expect(await fromApi('SELECT count(*)::int AS n FROM accounts')).toMatch(/^\[\{"n":\d+\}\]$/);
    expect(await fromApi('UPDATE accounts SET name = name WHERE id = -1 RETURNING id')).toBe('[]');
  });

  it('cannot drop or create a table, nor make a temporary one', async () => {
    expect(await refusal('DROP TABLE transfers')).toBe('must be owner of table transfers');
    expect(await refusal('CREATE TABLE public.planted (id int)')).toBe('permission denied for schema public');
    expect(await refusal('CREATE TEMP TABLE scratch (id int)')).toBe(
      'permission denied to create temporary tables in database "accounts"',
    );
    expect(await refusal('ALTER TABLE accounts ADD COLUMN planted int')).toBe('must be owner of table accounts');
  });

  it('reads the record of migrations, to check the schema, but cannot forge it', async () => {
    expect(await fromApi('SELECT count(*)::int AS n FROM kysely_migration')).toMatch(/^\[\{"n":[1-9]\d*\}\]$/);
    expect(await refusal("INSERT INTO kysely_migration (name, timestamp) VALUES ('999-forged', 'now')")).toBe(
      'permission denied for table kysely_migration',
    );
    expect(await refusal('DELETE FROM kysely_migration')).toBe('permission denied for table kysely_migration');
  });

  it('adds to the audit trail, and can neither change nor remove an event of it', async () => {
    expect(await fromApi('SELECT count(*)::int AS n FROM audit_events')).toMatch(/^\[\{"n":[1-9]\d*\}\]$/);
    expect(await refusal("UPDATE audit_events SET actor = 'someone-else'")).toBe(
      'permission denied for table audit_events',
    );
    expect(await refusal('DELETE FROM audit_events')).toBe('permission denied for table audit_events');
    expect(await refusal('TRUNCATE audit_events')).toBe('permission denied for table audit_events');
  });

  it('cannot read another schema, nor files of the server', async () => {
    expect(await refusal('SELECT * FROM other.secrets')).toBe('permission denied for schema other');
    expect(await refusal("SELECT pg_read_file('/etc/passwd')")).toBe('permission denied for function pg_read_file');
    expect(await refusal("COPY accounts FROM '/etc/passwd'")).toMatch(/^permission denied to COPY from a file/);
  });

  it('is no superuser, makes no roles or databases, and is in no role that reads server files', async () => {
    expect(
      await asSuperuser(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, pg_has_role(oid, 'pg_read_server_files', 'MEMBER') " +
          "FROM pg_roles WHERE rolname = 'accounts_api'",
      ),
    ).toBe('f|f|f|f|f|f');
  });

  it('commits without waiting for a standby, and no replication role may log in, without compose.postgres.backup.yaml', async () => {
    expect(
      await asSuperuser("SELECT rolcanlogin, rolreplication FROM pg_roles WHERE rolname = 'accounts_backup'"),
    ).toBe('f|f');
    expect(await asSuperuser("SELECT count(*) FROM pg_db_role_setting WHERE setrole = 'accounts_api'::regrole")).toBe(
      '0',
    );
    expect(await asSuperuser('SHOW synchronous_standby_names')).toBe('');
  });
});

describe('the migration role, accounts_owner', () => {
  it('owns the schema and every table, and serves no request: the api connects as accounts_api alone', async () => {
    expect(
      await asSuperuser(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
      ),
    ).toBe('accounts_owner');
    const res = await fetch(`${stack().baseUrl}/accounts`, { headers: stack().headers });
    expect(res.status).toBe(200);
    expect(
      await asSuperuser(
        "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = 'accounts' AND backend_type = 'client backend' AND application_name = 'accounts-api'",
      ),
    ).toBe('accounts_api');
    expect(await asSuperuser("SELECT count(*) FROM pg_stat_activity WHERE usename = 'accounts_owner'")).toBe('0');
    // migrate ran, as the owner, and is done; the api never holds the owner's or the superuser's password.
    expect(await docker(['logs', containerOf('migrate')])).toMatch(
      /^Migrated postgres:\/\/accounts_owner@postgres:5432\/accounts\?/m,
    );
    const api = containerOf('api');
    expect(await docker(['exec', api, 'ls', '/run/secrets'])).toBe(
      'bootstrap_admin_key\npostgres_api_password\npostgres_ca\n',
    );
  });
});

describe('TLS between the api and PostgreSQL', () => {
  it("encrypts every one of the api's connections, with TLS 1.3", async () => {
    await fetch(`${stack().baseUrl}/accounts`, { headers: stack().headers });
    expect(
      await asSuperuser(
        "SELECT bool_and(s.ssl), min(s.version), count(*) > 0 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'accounts_api'",
      ),
    ).toBe('t|TLSv1.3|t');
  });

  it('refuses a plain connection over the network, even with the right password', async () => {
    expect(await refusal('SELECT 1', { ssl: false })).toMatch(
      /^pg_hba\.conf rejects connection for host "[^"]+", user "accounts_api", database "accounts", no encryption$/,
    );
  });

  it('refuses the superuser over the network, even over TLS', async () => {
    // The superuser's password is not in the api container; the refusal comes before any password.
    expect(await refusal('SELECT 1', { user: 'accounts', passwordSecret: 'postgres_api_password' })).toMatch(
      /^pg_hba\.conf rejects connection for host "[^"]+", user "accounts", database "accounts", SSL encryption$/,
    );
  });

  it('fails to connect when the client verifies the server with another CA', async () => {
    const other = mkdtempSync(join(tmpdir(), 'accounts-other-ca-'));
    try {
      await run('bash', [join(REPO_ROOT, 'docker/tls/make-dev-cert.sh'), '--out', other]);
      const ca = readFileSync(join(other, 'ca.crt'), 'utf8');
      expect(await refusal('SELECT 1', { ssl: { ca } })).toMatch(
        /self-signed certificate in certificate chain|unable to verify|unable to get issuer/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('the data network', () => {
  const tryConnect = (container: string) =>
    dockerResult(['exec', container, 'bash', '-c', 'timeout 5 bash -c "exec 3<>/dev/tcp/postgres/5432" 2>&1']);

  it('lets the api reach postgres:5432, and not the internet-facing proxy', async () => {
    const fromApiContainer = await tryConnect(containerOf('api'));
    expect(fromApiContainer.status).toBe(0);

    const fromProxy = await tryConnect(containerOf('proxy'));
    console.info(`from the proxy: exit ${fromProxy.status}, ${fromProxy.stdout.trim()}`);
    expect(fromProxy.status).not.toBe(0);
    expect(fromProxy.stdout).toMatch(/postgres: (Name or service not known|Temporary failure in name resolution)/);
  });
});

describe('a volume of the previous release', () => {
  it('is adopted at the next start: its tables pass to accounts_owner, its rows stay, and the api serves them as accounts_api', async () => {
    const res = await fetch(`${stack().baseUrl}/accounts`, {
      method: 'POST',
      headers: { ...stack().headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-the-previous-release', openingBalance: 42 }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };

    // What the previous release left: every table the superuser's (its api
    // migrated as `accounts`), public as initdb made it, and no roles of the application.
    await stack().composeCli(['stop', 'api', 'proxy']);
    await asSuperuser(
      'REASSIGN OWNED BY accounts_owner TO accounts; DROP OWNED BY accounts_owner; DROP OWNED BY accounts_api; ' +
        'DROP ROLE accounts_owner; DROP ROLE accounts_api; ALTER SCHEMA public OWNER TO pg_database_owner; ' +
        'GRANT USAGE ON SCHEMA public TO PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE accounts TO PUBLIC',
    );
    expect(
      await asSuperuser(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
      ),
    ).toBe('accounts');

    await stack().recreate();

    expect(
      await asSuperuser(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
      ),
    ).toBe('accounts_owner');
    expect(await asSuperuser("SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'")).toBe(
      'accounts_owner',
    );
    const kept = await fetch(`${stack().baseUrl}/accounts/${id}`, { headers: stack().headers });
    expect(kept.status).toBe(200);
    expect(await kept.json()).toMatchObject({ name: 'from-the-previous-release', balance: 42 });
    const written = await fetch(`${stack().baseUrl}/accounts`, {
      method: 'POST',
      headers: { ...stack().headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'after-adoption', openingBalance: 1 }),
    });
    expect(written.status).toBe(201);
    expect(await refusal('DROP TABLE transfers')).toBe('must be owner of table transfers');
  }, 240_000);
});
