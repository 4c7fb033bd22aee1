import { sql, type Kysely } from 'kysely';

/** Runs a migration's SQL one statement at a time: the PostgreSQL driver's prepared statements take one each. */
export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  await runStatements(
    db,
    script
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** For statements that hold semicolons of their own (trigger and function bodies), which runScript would split. */
export async function runStatements(db: Kysely<unknown>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
