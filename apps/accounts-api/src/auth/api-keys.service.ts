import { Injectable, Logger } from '@nestjs/common';
import { recordAudit, SYSTEM_ACTORS, type Actor } from '../audit/audit-trail';
import { Store, type Executor } from '../store/store';
import { generateKey, hashesMatch, parseKey, type ParsedKey } from './api-key';
import { toApiKeyInfo, type ApiKeyInfo, type CreatedApiKey } from './api-key-info';
import { KeyNameTakenError, KeyNotFoundError, LastAdminKeyError, UnauthenticatedError } from './auth.errors';
import type { Scope } from './scope';

/** Who is calling: the name and scope of the key a request was made with. */
export interface Caller {
  readonly name: string;
  readonly scope: Scope;
}

interface KeyRecord {
  readonly id: number;
  readonly name: string;
  readonly scope: Scope;
  readonly secretSha256: string;
  readonly revoked: boolean;
}

/**
 * How long a replica trusts a key row it read. Revoking a key on one
 * replica reaches the others within this, well inside the second promised.
 */
export const KEY_CACHE_MS = 500;
/** The bounded rate of `last_used_at` writes: once a minute per key and replica. */
export const LAST_USED_INTERVAL_MS = 60_000;

const COLUMNS = ['name', 'scope', 'created_at', 'last_used_at', 'revoked_at', 'revoked_by'] as const;

const keySubject = (name: string) => `keys/${name}`;

/** API keys: made, listed, revoked, and checked on every protected request. */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly cache = new Map<string, { record: KeyRecord; readAt: number }>();
  private readonly lastUsedWritten = new Map<number, number>();

  constructor(private readonly store: Store) {}

  /** Makes a key. The answer holds the key itself, which is not kept and cannot be shown again. */
  async create(name: string, scope: Scope, by: Actor): Promise<CreatedApiKey> {
    const key = generateKey();
    const row = await this.store.transaction((trx) => this.insert(trx, name, scope, parseKey(key)!, by));
    if (!row) throw new KeyNameTakenError(name);
    return { ...toApiKeyInfo(row), key };
  }

  /**
   * Stores a key made elsewhere (the bootstrap secret) under `name`, unless
   * it is stored already. Returns what happened, for the log.
   */
  async adopt(name: string, scope: Scope, key: ParsedKey): Promise<'stored' | 'known' | 'name_taken'> {
    const stored = await this.store.transaction((trx) => this.insert(trx, name, scope, key, SYSTEM_ACTORS.bootstrap));
    if (stored) return 'stored';
    const known = await this.store.db
      .selectFrom('api_keys')
      .select('id')
      .where('lookup_id', '=', key.lookupId)
      .executeTakeFirst();
    return known ? 'known' : 'name_taken';
  }

  list(): Promise<ApiKeyInfo[]> {
    return this.store.db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .orderBy('id')
      .execute()
      .then((rows) => rows.map(toApiKeyInfo));
  }

  /**
   * Revokes a key; revoking a revoked key changes nothing and succeeds, as
   * DELETE does. The last admin key that is not revoked stays: without one,
   * no one could make or revoke keys over HTTP again.
   */
  async revoke(name: string, by: Actor): Promise<ApiKeyInfo> {
    const revoked = await this.store.transaction(async (trx) => {
      // Locked, so that two revocations of the last two admin keys take
      // turns, and the second one sees the first.
      const admins = await this.store
        .forUpdate(
          trx.selectFrom('api_keys').select('name').where('scope', '=', 'admin').where('revoked_at', 'is', null),
        )
        .execute();
      if (admins.length === 1 && admins[0].name === name) throw new LastAdminKeyError(name);
      const { numUpdatedRows } = await trx
        .updateTable('api_keys')
        .set({ revoked_at: new Date().toISOString(), revoked_by: by.name })
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (numUpdatedRows > 0n) await recordAudit(trx, by, { type: 'key.revoked', subject: keySubject(name) });
      const row = await trx.selectFrom('api_keys').select(COLUMNS).where('name', '=', name).executeTakeFirst();
      if (!row) throw new KeyNotFoundError(name);
      return toApiKeyInfo(row);
    });
    // This replica refuses the key at once, the others within KEY_CACHE_MS.
    // Only after the commit: dropped before it, the row could be read back
    // and cached, not yet revoked, for another KEY_CACHE_MS.
    for (const [lookupId, { record }] of this.cache) if (record.name === name) this.cache.delete(lookupId);
    return revoked;
  }

  /**
   * The caller a presented key belongs to. Every way to fail is the same
   * UnauthenticatedError to the client; its reason, for the log, names the
   * key when the lookup id found one, and never holds the key.
   */
  async authenticate(presented: string): Promise<Caller> {
    const parsed = parseKey(presented);
    if (!parsed) throw new UnauthenticatedError('malformed_key', 'malformed key');
    const record = await this.find(parsed.lookupId);
    if (!record) throw new UnauthenticatedError('unknown_key', 'unknown key');
    if (!hashesMatch(parsed.sha256, record.secretSha256))
      throw new UnauthenticatedError('wrong_secret', `wrong secret for key "${record.name}"`);
    if (record.revoked) throw new UnauthenticatedError('revoked_key', `key "${record.name}" is revoked`);
    this.touch(record);
    return { name: record.name, scope: record.scope };
  }

  /** The new key's row, with its audit event in the same transaction; undefined when the name or key is taken. */
  private async insert(trx: Executor, name: string, scope: Scope, { lookupId, sha256 }: ParsedKey, by: Actor) {
    const row = await trx
      .insertInto('api_keys')
      .values({
        name,
        scope,
        lookup_id: lookupId,
        secret_sha256: sha256.toString('hex'),
        created_at: new Date().toISOString(),
      })
      .onConflict((conflict) => conflict.doNothing())
      .returning(COLUMNS)
      .executeTakeFirst();
    if (row) await recordAudit(trx, by, { type: 'key.created', subject: keySubject(name), details: { scope } });
    return row;
  }

  private async find(lookupId: string): Promise<KeyRecord | undefined> {
    const now = Date.now();
    const cached = this.cache.get(lookupId);
    if (cached && now - cached.readAt < KEY_CACHE_MS) return cached.record;
    const row = await this.store.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'scope', 'secret_sha256', 'revoked_at'])
      .where('lookup_id', '=', lookupId)
      .executeTakeFirst();
    // Rows are never deleted, so an id not found now was never cached.
    if (!row) return undefined;
    const record: KeyRecord = {
      id: row.id,
      name: row.name,
      scope: row.scope as Scope,
      secretSha256: row.secret_sha256,
      revoked: row.revoked_at !== null,
    };
    // Only rows that exist are kept, so guessed lookup ids cannot fill the map.
    this.cache.set(lookupId, { record, readAt: now });
    return record;
  }

  /** Records the key's use, at most once a minute, off the request's path: a failed write is only logged. */
  private touch(record: KeyRecord): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(record.id) ?? -Infinity) < LAST_USED_INTERVAL_MS) return;
    this.lastUsedWritten.set(record.id, now);
    this.store.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', record.id)
      .execute()
      .catch((error: unknown) =>
        this.logger.warn(`Recording the use of key "${record.name}" failed: ${String(error)}`),
      );
  }
}
