import type { Driver } from 'kysely';

/**
 * How many of a store's connections a query or transaction holds, and how
 * many queries and transactions wait for one: what a pool that is too small,
 * or a transaction that holds its connection too long, shows first. SQLite
 * has one connection, which they take in turns.
 */
export class ConnectionUse {
  inUse = 0;
  waiting = 0;
}

/**
 * Wraps a Kysely driver to keep `use` up to date: Kysely asks its driver for
 * a connection for each query outside a transaction and for each
 * transaction, and gives it back when done. Everything else passes through.
 */
export function countConnections(driver: Driver, use: ConnectionUse): Driver {
  return {
    init: () => driver.init(),
    acquireConnection: async () => {
      use.waiting++;
      try {
        const connection = await driver.acquireConnection();
        use.inUse++;
        return connection;
      } finally {
        use.waiting--;
      }
    },
    releaseConnection: (connection) => {
      use.inUse--;
      return driver.releaseConnection(connection);
    },
    beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
    commitTransaction: (connection) => driver.commitTransaction(connection),
    rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
    savepoint: driver.savepoint?.bind(driver),
    rollbackToSavepoint: driver.rollbackToSavepoint?.bind(driver),
    releaseSavepoint: driver.releaseSavepoint?.bind(driver),
    destroy: () => driver.destroy(),
  };
}
