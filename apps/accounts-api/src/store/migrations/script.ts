import { sql, type Kysely } from 'kysely';

/** Runs a migration's SQL one statement at a time: the PostgreSQL driver's prepared statements take one each. */
export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of script
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    await sql.raw(statement).execute(db);
  }
}
