/**
 * The development CA and server certificates the stack's TLS needs, made
 * once per test process by docker/tls/make-dev-cert.sh (the script a reader
 * runs) into a folder of its own, so that a run never touches the checkout's
 * docker/tls/dev and two checkouts never share keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './docker.ts';

/** Where make-dev-cert.sh wrote: the CA's certificate, and one folder per server. */
export interface DevCerts {
  readonly dir: string;
  /** The CA's certificate, for `curl --cacert`, Node's `ca` option and PostgreSQL's sslrootcert. */
  readonly ca: string;
  /** server.crt and server.key for localhost, 127.0.0.1 and ::1. */
  readonly proxyDir: string;
  /** server.crt and server.key for the service name postgres. */
  readonly postgresDir: string;
  /** postgres.crt/.key and backup.crt/.key, pgBackRest's two sides (compose.postgres.backup.yaml). */
  readonly pgbackrestDir: string;
}

let made: Promise<DevCerts> | undefined;

export function devCerts(): Promise<DevCerts> {
  made ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-stack-certs-'));
    // Keys, even a development CA's, do not outlive the process that made them.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await run('bash', ['docker/tls/make-dev-cert.sh', '--out', dir]);
    return {
      dir,
      ca: join(dir, 'ca.crt'),
      proxyDir: join(dir, 'proxy'),
      postgresDir: join(dir, 'postgres'),
      pgbackrestDir: join(dir, 'pgbackrest'),
    };
  })();
  return made;
}

/**
 * compose.postgres.yaml's settings for the server's certificate and the CA its
 * clients verify it with, and compose.postgres.backup.yaml's for pgBackRest's.
 */
export async function postgresTlsEnv(): Promise<Record<string, string>> {
  const certs = await devCerts();
  return { POSTGRES_TLS_DIR: certs.postgresDir, POSTGRES_TLS_CA: certs.ca, PGBACKREST_TLS_DIR: certs.pgbackrestDir };
}
