import { ConstraintViolationError, StoreBusyError, StoreFullError, StoreUnavailableError } from '../store.errors';
import { translatePostgresError } from './postgres.errors';

/** An error as pg or Node's net module throws it: a message and a `code`. */
const failure = (code: unknown, message = 'failed') => Object.assign(new Error(message), { code });

describe('translatePostgresError', () => {
  it('answers a full disk (53100) as StoreFullError', () => {
    const error = translatePostgresError(failure('53100'));
    expect(error).toBeInstanceOf(StoreFullError);
    expect(error?.message).toBe('The accounts store is out of disk space; the change was not saved');
  });

  it.each([
    ['40001', 'serialization_failure'],
    ['40P01', 'deadlock_detected'],
    ['55P03', 'lock_not_available'],
    ['57014', 'query_canceled'],
    ['53300', 'too_many_connections'],
  ])('answers %s (%s) as StoreBusyError', (code) => {
    const error = translatePostgresError(failure(code));
    expect(error).toBeInstanceOf(StoreBusyError);
    expect(error?.message).toBe('The accounts store is busy with other writes; retry shortly');
  });

  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['57P01', 'admin_shutdown'],
    ['57P03', 'cannot_connect_now'],
  ])('answers %s (%s) as StoreUnavailableError, with the server message', (code) => {
    const error = translatePostgresError(failure(code, 'the database system is shutting down'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toBe(
      'The accounts store is unavailable (the database system is shutting down); retry shortly',
    );
  });

  it.each([
    ['23505', 'unique_violation'],
    ['23514', 'check_violation'],
    ['23503', 'foreign_key_violation'],
    ['23502', 'not_null_violation'],
    ['22003', 'numeric_value_out_of_range'],
    ['22021', 'character_not_in_repertoire'],
  ])('answers %s (%s) as ConstraintViolationError, naming the constraint or, without one, the words', (code) => {
    const named = translatePostgresError(
      Object.assign(failure(code, 'violates'), { constraint: 'accounts_name_check' }),
    );
    expect(named).toBeInstanceOf(ConstraintViolationError);
    expect(named?.message).toBe(
      `The store refused the change under its rule "accounts_name_check" (${code}); nothing was saved. Change the value the rule names`,
    );
    expect(translatePostgresError(failure(code, 'value out of range'))?.message).toMatch(
      `under its rule "value out of range" (${code});`,
    );
  });

  it.each([
    ['42601', 'syntax_error'],
    ['53200', 'out_of_memory: class 53 like a full disk, but not it'],
    ['40002', 'transaction_integrity_constraint_violation: class 40, not a busy code'],
  ])('leaves %s (%s) untranslated: a bug, not the store', (code) => {
    expect(translatePostgresError(failure(code, 'Connection terminated'))).toBeUndefined();
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'])(
    'answers the socket error %s as StoreUnavailableError, naming it',
    (code) => {
      const error = translatePostgresError(failure(code, `connect ${code} 10.0.0.5:5432`));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error?.message).toBe(`The accounts store is unavailable (${code}); retry shortly`);
    },
  );

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'connection terminated',
  ])('answers pg\'s own "%s" as StoreUnavailableError', (message) => {
    const error = translatePostgresError(new Error(message));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toBe(`The accounts store is unavailable (${message}); retry shortly`);
  });

  it.each(['ERR_STREAM_DESTROYED', 'x40001', '40001x', '57P01 '])(
    'falls back on those words for a code that is no SQLSTATE (%s)',
    (code) => {
      expect(translatePostgresError(failure(code, 'Connection terminated unexpectedly'))?.message).toBe(
        'The accounts store is unavailable (Connection terminated unexpectedly); retry shortly',
      );
    },
  );

  it('reads those words from a thrown string too', () => {
    expect(translatePostgresError('Connection terminated')?.message).toBe(
      'The accounts store is unavailable (Connection terminated); retry shortly',
    );
  });

  it('leaves other errors untranslated, whatever their shape', () => {
    expect(translatePostgresError(new Error('Cannot read properties of undefined'))).toBeUndefined();
    expect(translatePostgresError(failure('ERR_SOMETHING_ELSE'))).toBeUndefined();
    expect(translatePostgresError(failure(53100))).toBeUndefined();
    expect(translatePostgresError(failure('5310'))).toBeUndefined();
    expect(translatePostgresError(failure('531000'))).toBeUndefined();
    expect(translatePostgresError(failure('53100 '))).toBeUndefined();
    expect(translatePostgresError(failure('x53100'))).toBeUndefined();
    expect(translatePostgresError(failure('e8006'))).toBeUndefined();
    expect(translatePostgresError(null)).toBeUndefined();
    expect(translatePostgresError(undefined)).toBeUndefined();
    expect(translatePostgresError('boom')).toBeUndefined();
  });
});
