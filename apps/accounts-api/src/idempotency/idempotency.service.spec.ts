import { UnprocessableEntityException } from '@nestjs/common';
import { tempStore } from '../../test/support/temp-store';
import { canonicalJson, IdempotencyService } from './idempotency.service';

describe('IdempotencyService', () => {
  let store: ReturnType<typeof tempStore>;
  let service: IdempotencyService;
  let writes: number;
  const write = () => ({ status: 201, location: `/things/${++writes}`, body: { n: writes } });
  const run = (key: string | undefined, request: unknown) =>
    store.db.transaction(() => service.run('POST /things', key, request, write));

  beforeEach(() => {
    store = tempStore();
    service = new IdempotencyService(store.db, { file: store.file, busyTimeoutMs: 200, idempotencyKeyTtlSeconds: 60 });
    writes = 0;
  });
  afterEach(() => {
    jest.useRealTimers();
    store.dispose();
  });

  it('writes every time without a key', () => {
    run(undefined, { a: 1 });
    run(undefined, { a: 1 });
    expect(writes).toBe(2);
  });

  it('replays the first answer for the same key and body, whatever the key order', () => {
    const first = run('k', { a: 1, b: 2 });
    const again = run('k', { b: 2, a: 1 });

    expect(writes).toBe(1);
    expect(again).toEqual({ status: 201, location: '/things/1', body: { n: 1 }, replayed: true });
    expect(first.replayed).toBeUndefined();
  });

  it('refuses the same key with a different body (422) and writes nothing', () => {
    run('k', { a: 1 });
    expect(() => run('k', { a: 2 })).toThrow(UnprocessableEntityException);
    expect(writes).toBe(1);
  });

  it('scopes keys by route: the same key on another route is another request', () => {
    run('k', { a: 1 });
    store.db.transaction(() => service.run('POST /others', 'k', { a: 2 }, write));
    expect(writes).toBe(2);
  });

  it('stores nothing when the write fails, so the key can be retried', () => {
    expect(() =>
      store.db.transaction(() =>
        service.run('POST /things', 'k', {}, () => {
          throw new Error('refused');
        }),
      ),
    ).toThrow('refused');
    run('k', {});
    expect(writes).toBe(1);
  });

  it('forgets keys older than the configured time', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    run('k', { a: 1 });
    jest.setSystemTime(new Date('2026-01-01T00:01:01Z'));
    run('k', { a: 2 });
    expect(writes).toBe(2);
  });

  it('canonicalises nested objects but keeps array order', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":[2,1]}');
  });
});
