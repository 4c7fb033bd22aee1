/**
 * Makes, lists and revokes API keys, inside the api container:
 *
 *   docker compose exec api node dist/cli/keys.js create --name NAME --scope read|write|admin
 *   docker compose exec api node dist/cli/keys.js list [--json]
 *   docker compose exec api node dist/cli/keys.js revoke --name NAME
 *
 * It uses the api's own settings (STORE_URL), so it writes the store that
 * the replicas read; they see a new or revoked key within a second.
 * `create` prints the key alone on its last line, for `| tail -n 1`.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { ApiKeyInfo } from '../auth/api-key-info';
import { ApiKeysService } from '../auth/api-keys.service';
import { SYSTEM_ACTORS } from '../audit/audit-trail';
import { CreateKeyDto } from '../auth/dto/create-key.dto';
import { DomainError } from '../common/errors/domain-error';
import { storeConfig } from '../config/store.config';
import { openMigratedStore } from '../store/store.factory';

const USAGE = `Usage:
  node dist/cli/keys.js create --name NAME --scope read|write|admin
  node dist/cli/keys.js list [--json]
  node dist/cli/keys.js revoke --name NAME`;

/** A mistake in the command line: exit status 2, with the usage. */
class UsageError extends Error {}

type Command = (keys: ApiKeysService, options: { name?: string; scope?: string; json?: boolean }) => Promise<string[]>;

const COMMANDS: Record<string, Command> = {
  async create(keys, { name, scope }) {
    const dto = plainToInstance(CreateKeyDto, { name, scope });
    const problems = validateSync(dto).flatMap((error) => Object.values(error.constraints ?? {}));
    if (problems.length > 0) throw new UsageError(problems.join('; '));
    const created = await keys.create(dto.name, dto.scope, SYSTEM_ACTORS.cli);
    return [
      `Created key "${created.name}" with scope ${created.scope}. It is shown only now; store it as a secret:`,
      created.key,
    ];
  },

  async list(keys, { json }) {
    const all = await keys.list();
    return json ? [JSON.stringify(all)] : table(all);
  },

  async revoke(keys, { name }) {
    if (!name) throw new UsageError('revoke needs --name NAME');
    const revoked = await keys.revoke(name, SYSTEM_ACTORS.cli);
    return [`Key "${revoked.name}" is revoked since ${revoked.revokedAt}`];
  },
};

function table(keys: ApiKeyInfo[]): string[] {
  const rows = [
    ['NAME', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED'],
    ...keys.map((k) => [k.name, k.scope, k.createdAt, k.lastUsedAt ?? '-', k.revokedAt ?? '-']),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, scope: { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...extra] = parsed.positionals;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (!run) throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);

  const store = await openMigratedStore(storeConfig());
  try {
    const lines = await run(new ApiKeysService(store), parsed.values);
    process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    process.stderr.write(`keys: ${message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // Domain errors (a taken name, an unknown key, the store down) carry a message written for the operator.
  process.stderr.write(`keys: ${error instanceof DomainError ? message : `failed: ${message}`}\n`);
  process.exitCode = 1;
});
