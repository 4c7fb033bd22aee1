import { sql, type Kysely } from 'kysely';
import { ISSUANCE_ACCOUNT_ID as ISSUANCE_ID } from '../schema';

/**
 * Who the opening balances this migration issues are by. No API key can
 * have this name (a key's name has no ":"), so the ledger check can tell
 * these transfers from any other (see checkLedger).
 */
export const MIGRATED_OPENING_ACTOR = 'migration:006';

/** The issuance account's overdraft limit: it may go as far below zero as the api can count (MAX_MONEY). */
const ISSUANCE_FLOOR = Number.MAX_SAFE_INTEGER;

/**
 * Double entry: money enters the books only out of the issuance account
 * (id 0), which goes as far below zero as the money issued, so that all
 * balances sum to zero and each is the sum of its ledger entries alone.
 *
 * Before this migration an account's opening balance was money from
 * nowhere: balance = opening_balance + entries. Each non-zero opening
 * balance becomes an issuance transfer here, from account 0 (or, for a
 * negative one like the seed's bob, to it), dated when the account was
 * opened, with its two entries; balances do not change. Those transfers get
 * ids after every existing one, so in an account's id order its opening
 * entry comes after the entries it preceded; the check orders them first by
 * MIGRATED_OPENING_ACTOR. `opening_balance` stays, as what was issued when
 * the account was opened.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = new Date().toISOString();
  const by = MIGRATED_OPENING_ACTOR;
  await sql`
    INSERT INTO accounts (id, name, opening_balance, balance, overdraft_limit, created_at, updated_at, created_by)
    SELECT ${ISSUANCE_ID}, 'issuance', 0, -coalesce(sum(opening_balance), 0), ${ISSUANCE_FLOOR},
      coalesce(min(created_at), ${now}), coalesce(min(created_at), ${now}), ${by}
    FROM accounts`.execute(db);
  await sql`
    INSERT INTO transfers (from_id, to_id, amount, created_at, created_by)
    SELECT
      CASE WHEN opening_balance > 0 THEN ${ISSUANCE_ID} ELSE id END,
      CASE WHEN opening_balance > 0 THEN id ELSE ${ISSUANCE_ID} END,
      abs(opening_balance), created_at, ${by}
    FROM accounts WHERE id <> ${ISSUANCE_ID} AND opening_balance <> 0
    ORDER BY id`.execute(db);
  const openings = sql`
    SELECT t.id AS transfer_id, a.id AS account_id, a.opening_balance, t.created_at
    FROM transfers t JOIN accounts a ON a.id = CASE WHEN t.from_id = ${ISSUANCE_ID} THEN t.to_id ELSE t.from_id END
    WHERE t.created_by = ${by}`;
  await sql`
    INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, created_at, created_by)
    SELECT account_id, transfer_id, opening_balance, opening_balance, created_at, ${by}
    FROM (${openings}) o ORDER BY transfer_id`.execute(db);
  // The issuance account's side, its running balance in transfer order.
  await sql`
    INSERT INTO ledger_entries (account_id, transfer_id, amount, balance_after, created_at, created_by)
    SELECT ${ISSUANCE_ID}, transfer_id, -opening_balance,
      -sum(opening_balance) OVER (ORDER BY transfer_id ROWS UNBOUNDED PRECEDING), created_at, ${by}
    FROM (${openings}) o ORDER BY transfer_id`.execute(db);
}
