import { docker, inspect, useStack } from '../stack';
import { sleep } from '../../support/load.ts';
import { expectErrorShape } from '../../support/raw-http.ts';

const RATE_PER_SECOND = 5;
const BURST = 10;
const stack = useStack({ env: { PROXY_RATE_LIMIT: `${RATE_PER_SECOND}r/s`, PROXY_RATE_BURST: String(BURST) } });

const post = () => fetch(`${stack().baseUrl}/`, { method: 'POST' });

describe('the per-client rate limit', () => {
  it('answers 429 with Retry-After in the error shape beyond rate and burst, then lets the client in again', async () => {
    const CONCURRENT = 40;
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        const res = await post();
        return { res, body: await res.text() };
      }),
    );
    const limited = answers.filter(({ res }) => res.status === 429);
    const served = answers.filter(({ res }) => res.status === 200);
    console.info(
      `rate limit ${RATE_PER_SECOND}r/s burst ${BURST}: sent ${CONCURRENT}, 200: ${served.length}, 429: ${limited.length}`,
    );

    expect(served.length + limited.length).toBe(CONCURRENT);
    // The burst plus the one the rate allows, and at most a couple more that
    // the bucket refilled while the requests arrived.
    expect(served.length).toBeGreaterThanOrEqual(BURST + 1);
    expect(served.length).toBeLessThanOrEqual(BURST + 3);
    for (const { res, body } of limited) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expectErrorShape({ status: res.status, res, body });
    }
    expect(served.every(({ res }) => res.headers.get('retry-after') === null)).toBe(true);

    await sleep(1_000 * Number(limited[0].res.headers.get('retry-after')));
    expect((await post()).status).toBe(200);
  });

  it('holds a steady client under the rate to no 429 at all', async () => {
    // Let the bucket drain from the previous test first.
    await sleep(((BURST + 1) / RATE_PER_SECOND) * 1_000);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await post()).status);
      await sleep(1_000 / RATE_PER_SECOND + 50);
    }

    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('refuses to start with a rate that is neither <N>r/s nor off, and says which variable is wrong', async () => {
    const image = (await inspect('container', stack().compose.getContainer('proxy-1').getId())).Config.Image as string;
    const hardened = ['--network', 'none', '--read-only', '--tmpfs', '/tmp'];

    const started = docker(['run', '--rm', ...hardened, '-e', 'PROXY_RATE_LIMIT=fast', image]);

    await expect(started).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("PROXY_RATE_LIMIT must be <N>r/s with N >= 1, or off, not 'fast'"),
    });
  });
});
