import { docker, inspect, useStack, waitHealthy } from './stack';

const stack = useStack();

describe('three replicas starting at the same moment on an empty store', () => {
  it('migrate it once between them: none crashes, none restarts', async () => {
    const s = stack();
    await s.composeCli(['down', '--volumes', '--timeout', '10']);
    // Compose staggers the replicas it starts; create them, then start all three at once.
    // On PostgreSQL the migrate service applies the migrations, as the schema's owner, and the
    // replicas only check them: what they still share is the seed's import, once. `run` waits
    // for its exit; `up --wait` fails when it exits before Compose has seen it running (compose#10596).
    if (s.store === 'postgres') {
      await s.composeCli(['up', '-d', '--wait', 'postgres']);
      await s.composeCli(['run', '--rm', '--no-TTY', 'migrate']);
    }
    await s.composeCli(['create', '--scale', 'api=3', 'api']);
    const ids = (await s.composeCli(['ps', '--all', '--quiet', 'api'])).trim().split('\n');
    expect(ids).toHaveLength(3);

    await Promise.all(ids.map((id) => docker(['start', id])));
    await Promise.all(ids.map((id) => waitHealthy(id, 90_000)));

    for (const id of ids) {
      const container = await inspect('container', id);
      expect(container.RestartCount).toBe(0);
      const logs = await docker(['logs', id]);
      expect(logs).not.toMatch(/failed to start/);
    }
    const migrated = await Promise.all(ids.map((id) => docker(['logs', id])));
    expect(migrated.join('\n').match(/Imported 3 accounts/g)).toHaveLength(1);
  }, 180_000);
});
