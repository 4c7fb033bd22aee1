import type { Executor } from '../store/store';

/** Every kind of event the trail records. A new kind is added here, and nowhere else. */
export const AUDIT_EVENT_TYPES = [
  'key.created',
  'key.revoked',
  'account.opened',
  'account.renamed',
  'account.closed',
  'money.issued',
  'seed.imported',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * Who made a change. Over HTTP, the name of the request's key and the
 * request's id; outside a request, one of SYSTEM_ACTORS and no id.
 */
export interface Actor {
  readonly name: string;
  readonly requestId: string | null;
}

/**
 * The actors that are not keys: the bootstrap key's adoption at start-up,
 * the seed import of an empty store, and the commands run in a container.
 * Key names cannot take these (CreateKeyDto), so an actor names one thing.
 */
export const SYSTEM_ACTORS = {
  bootstrap: { name: 'bootstrap', requestId: null },
  seed: { name: 'seed', requestId: null },
  cli: { name: 'cli', requestId: null },
} as const satisfies Record<string, Actor>;

export interface AuditChange {
  readonly type: AuditEventType;
  /** What changed, as a path: `accounts/4`, `keys/billing-batch`, `seed`. */
  readonly subject: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Appends one event to the trail. Always given the transaction that makes
 * the change, so the two commit together or not at all.
 */
export async function recordAudit(trx: Executor, actor: Actor, change: AuditChange): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      occurred_at: new Date().toISOString(),
      type: change.type,
      actor: actor.name,
      request_id: actor.requestId,
      subject: change.subject,
      details: JSON.stringify(change.details ?? {}),
    })
    .execute();
}
