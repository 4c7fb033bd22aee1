import type { DatabaseConnection, Driver } from 'kysely';
import { ConnectionUse, countConnections } from './connection-use';

const connection = {} as DatabaseConnection;

/** A driver that records what reaches it; `acquire` decides how a connection is handed out. */
function recordingDriver(acquire: () => Promise<DatabaseConnection>, withSavepoints: boolean) {
  const calls: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name}${args.length > 1 ? ` ${String(args[1])}` : ''}`);
      return Promise.resolve();
    };
  const driver: Driver = {
    init: record('init'),
    acquireConnection: acquire,
    releaseConnection: record('release'),
    beginTransaction: record('begin'),
    commitTransaction: record('commit'),
    rollbackTransaction: record('rollback'),
    destroy: record('destroy'),
    ...(withSavepoints
      ? {
          savepoint: record('savepoint'),
          rollbackToSavepoint: record('rollbackTo'),
          releaseSavepoint: record('releaseSp'),
        }
      : {}),
  };
  return { driver, calls };
}

describe('countConnections', () => {
  it('counts a connection as waiting until the driver hands it out, then in use until it is given back', async () => {
    let handOut!: (c: DatabaseConnection) => void;
    const { driver } = recordingDriver(() => new Promise((resolve) => (handOut = resolve)), true);
    const use = new ConnectionUse();
    const counted = countConnections(driver, use);

    const acquiring = counted.acquireConnection();
    expect(use).toEqual({ inUse: 0, waiting: 1 });
    handOut(connection);
    expect(await acquiring).toBe(connection);
    expect(use).toEqual({ inUse: 1, waiting: 0 });
    await counted.releaseConnection(connection);
    expect(use).toEqual({ inUse: 0, waiting: 0 });
  });

  it('counts a connection the driver failed to hand out as neither waiting nor in use', async () => {
    const { driver } = recordingDriver(() => Promise.reject(new Error('refused')), true);
    const use = new ConnectionUse();

    await expect(countConnections(driver, use).acquireConnection()).rejects.toThrow('refused');
    expect(use).toEqual({ inUse: 0, waiting: 0 });
  });

  it('passes everything else through to the driver, savepoints included', async () => {
    const { driver, calls } = recordingDriver(() => Promise.resolve(connection), true);
    const counted = countConnections(driver, new ConnectionUse());
    const compile = jest.fn();

    await counted.init();
    await counted.beginTransaction(connection, {});
    await counted.savepoint!(connection, 'a', compile);
    await counted.rollbackToSavepoint!(connection, 'a', compile);
    await counted.releaseSavepoint!(connection, 'a', compile);
    await counted.commitTransaction(connection);
    await counted.rollbackTransaction(connection);
    await counted.releaseConnection(connection);
    await counted.destroy();

    expect(calls).toEqual([
      'init',
      'begin [object Object]',
      'savepoint a',
      'rollbackTo a',
      'releaseSp a',
      'commit',
      'rollback',
      'release',
      'destroy',
    ]);
  });

  it('has no savepoints when the driver has none', () => {
    const { driver } = recordingDriver(() => Promise.resolve(connection), false);
    const counted = countConnections(driver, new ConnectionUse());

    expect(
      ['savepoint', 'rollbackToSavepoint', 'releaseSavepoint'].filter(
        (name) => name in counted && counted[name as keyof Driver] !== undefined,
      ),
    ).toEqual([]);
  });
});
