/** Why a backup or a restore did not happen. */
export type BackupFailure =
  /** The store is not SQLite: PostgreSQL's backups are pgBackRest's. */
  | 'not_sqlite'
  /** There is no store to copy yet: the api makes it at its first start. */
  | 'no_store'
  /** A copy failed PRAGMA integrity_check or the ledger check: it is not kept, or not restored. */
  | 'check_failed'
  /** No copy to restore: none in the folder, none by that name, or none that passes its check. */
  | 'no_copy'
  /** A restore would replace a store that a process (the api, the backup service) has open. */
  | 'store_in_use'
  /** A restore would replace a store that holds data, and --force was not given. */
  | 'store_not_empty';

/**
 * A backup or restore that was refused or failed, changing nothing; its
 * message is written for the operator: what happened and what to do.
 */
export class BackupError extends Error {
  constructor(
    readonly failure: BackupFailure,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
