import { docker, inspect, useStack } from '../stack';
import { integrityCheck, storedTransfers, verifyLedger } from '../../support/ledger-checks.ts';
import { openAccount, sleep, timedFetch } from '../../support/load.ts';
import { expectErrorShape } from '../../support/raw-http.ts';

const stack = useStack({
  env: { PROXY_RATE_LIMIT: 'off' },
  overrides: ['test/stack/fixtures/compose.full-disk.yaml'],
});

const apiId = () => stack().compose.getContainer('api-1').getId();
/** The filler sits beside the database, on the same (tmpfs) volume. */
const FILLER = '"$(dirname "${STORE_URL#sqlite:}")/filler"';

const json = (method: string, path: string, body: unknown) =>
  timedFetch(`${stack().baseUrl}${path}`, {
    method,
    headers: { ...stack().headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('a full disk under the store', () => {
  it('refuses writes with 507 or 503, serves reads, loses and corrupts nothing, and writes again once there is space', async () => {
    const api = stack();
    const { baseUrl } = api;
    const opening = 100;
    const from = await openAccount(api, 'disk-from', opening);
    const to = await openAccount(api, 'disk-to', 0);
    const acknowledged: number[] = [];
    const transfer = async () => {
      const outcome = await json('POST', '/transfers', { from, to, amount: 1 });
      if (outcome.status === 201) acknowledged.push((JSON.parse(outcome.body!) as { id: number }).id);
      return outcome;
    };
    for (let i = 0; i < 3; i++) expect((await transfer()).status).toBe(201);

    // `cat` stops with ENOSPC once the volume is full, as intended.
    await docker(['exec', apiId(), 'sh', '-c', `cat /dev/zero > ${FILLER} 2>/dev/null || true`]);
    const free = await docker(['exec', apiId(), 'sh', '-c', `df -k --output=avail ${FILLER} | tail -n 1`]);
    expect(Number(free.trim())).toBe(0);

    const writes = [];
    const createdWhileFull: number[] = [];
    for (let i = 0; i < 15; i++) {
      writes.push(await transfer());
      const created = await json('POST', '/accounts', { name: `full-${i}-${'n'.repeat(90)}` });
      if (created.status === 201) createdWhileFull.push((JSON.parse(created.body!) as { id: number }).id);
      writes.push(created, await json('PATCH', `/accounts/${to}`, { name: `renamed-${i}` }));
    }
    const reads = [
      await timedFetch(`${baseUrl}/`, { method: 'POST' }),
      await timedFetch(`${baseUrl}/accounts/${from}`, { headers: api.headers }),
      await timedFetch(`${baseUrl}/accounts?limit=100`, { headers: api.headers }),
      await timedFetch(`${baseUrl}/accounts/${to}/transactions`, { headers: api.headers }),
    ];
    const refused = writes.filter((w) => w.status === 507 || w.status === 503);
    const refusedWith = [...new Set(refused.map((w) => w.status))].join(', ');
    const failedReads = reads.filter((r) => r.status !== 200).length;
    console.info(
      `full disk: writes sent ${writes.length}, refused ${refused.length} (${refusedWith}), ` +
        `accepted ${writes.length - refused.length}; reads sent ${reads.length}, failed ${failedReads}`,
    );

    // A write that still fits in pages SQLite already holds may succeed; none may fail any other way.
    expect(writes.filter((w) => ![200, 201, 503, 507].includes(w.status))).toEqual([]);
    expect(refused.length).toBeGreaterThan(writes.length / 2);
    for (const w of refused) {
      expectErrorShape(w);
      if (w.status === 503) expect(w.res?.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200]);

    await docker(['exec', apiId(), 'sh', '-c', `rm ${FILLER}`]);
    let after = await transfer();
    for (let i = 0; i < 10 && after.status !== 201; i++) {
      await sleep(200);
      after = await transfer();
    }
    expect(after.status).toBe(201);
    expect((await json('POST', '/accounts', { name: 'after-the-disk-filled' })).status).toBe(201);

    const stored = await storedTransfers(api, from, to);
    expect(stored.fromTransferIds).toEqual([...acknowledged].sort((a, b) => a - b));
    expect(stored.toTransferIds).toEqual([...acknowledged].sort((a, b) => a - b));
    expect(stored.fromBalance).toBe(opening - acknowledged.length);
    expect(stored.toBalance).toBe(acknowledged.length);
    for (const id of createdWhileFull)
      expect((await fetch(`${baseUrl}/accounts/${id}`, { headers: api.headers })).status).toBe(200);
    expect(await integrityCheck(apiId())).toBe('ok');
    expect(await verifyLedger(apiId())).toMatch(/^ledger ok: /);
    const container = await inspect('container', apiId());
    expect({ running: container.State.Running, restarts: container.RestartCount }).toEqual({
      running: true,
      restarts: 0,
    });
  }, 90_000);
});
