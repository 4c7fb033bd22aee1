import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyName } from './backup-copies';
import { runSchedule, scheduleHealth, type ScheduleLog } from './backup-schedule';
import { BackupError } from './backup.errors';
import type { BackupResult } from './sqlite-backup';

const result = (name: string): BackupResult => ({
  copy: { name, file: `/backups/${name}`, takenAt: new Date('2026-12-05T17:00:00.000Z'), bytes: 4096 },
  copyMs: 1.5,
  checkMs: 3.2,
  ledger: { accounts: 3, transfers: 7, entries: 14, issued: 49, sum: 0, discrepancies: [] },
  pruned: ['accounts-old.db'],
});

function recordingLog(): ScheduleLog & { lines: [string, object, string][] } {
  const lines: [string, object, string][] = [];
  return {
    lines,
    info: (fields, message) => lines.push(['info', fields, message]),
    warn: (fields, message) => lines.push(['warn', fields, message]),
    error: (fields, message) => lines.push(['error', fields, message]),
  };
}

describe('runSchedule', () => {
  it('takes a copy at once, then one every interval, until stopped, and logs each', async () => {
    const stop = new AbortController();
    const log = recordingLog();
    const starts: number[] = [];
    const backup = () => {
      starts.push(Date.now());
      if (starts.length === 3) stop.abort();
      return Promise.resolve(result(`copy-${starts.length}`));
    };
    const began = Date.now();

    await runSchedule({ intervalMs: 50, backup, log, signal: stop.signal });

    expect(starts).toHaveLength(3);
    expect(starts[0] - began).toBeLessThan(40);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(45);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(45);
    expect(log.lines[0]).toEqual([
      'info',
      {
        backup: 'copy-1',
        takenAt: '2026-12-05T17:00:00.000Z',
        bytes: 4096,
        copyMs: 1.5,
        checkMs: 3.2,
        transfers: 7,
        pruned: ['accounts-old.db'],
      },
      'backup copy-1 kept: copied in 1.5 ms, checked in 3.2 ms (integrity ok; ledger ok: 3 accounts, 7 transfers)',
    ]);
    expect(log.lines.map(([level]) => level)).toEqual(['info', 'info', 'info']);
  });

  it('stops waiting at once when stopped', async () => {
    const stop = new AbortController();
    const began = Date.now();
    const stopping = runSchedule({
      intervalMs: 60_000,
      backup: () => Promise.resolve(result('copy')),
      log: recordingLog(),
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 20);

    await stopping;

    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it('logs a copy that failed its check at level error, loudly, and goes on', async () => {
    const stop = new AbortController();
    const log = recordingLog();
    let calls = 0;
    const backup = () => {
      calls++;
      if (calls === 1) return Promise.reject(new BackupError('check_failed', 'The copy failed its check:\nledger: x'));
      if (calls === 2) return Promise.reject(new Error('disk I/O error'));
      stop.abort();
      return Promise.resolve(result('copy'));
    };

    await runSchedule({ intervalMs: 5, backup, log, signal: stop.signal });

    expect(log.lines.slice(0, 2)).toEqual([
      ['error', { failure: 'check_failed' }, 'BACKUP FAILED, no copy was kept: The copy failed its check:\nledger: x'],
      ['error', { failure: 'error' }, 'BACKUP FAILED, no copy was kept: disk I/O error'],
    ]);
    expect(log.lines[2][0]).toBe('info');
  });

  it('waits for the store the api has not made yet, looking again soon and saying so once', async () => {
    const stop = new AbortController();
    const log = recordingLog();
    let calls = 0;
    const backup = () => {
      calls++;
      if (calls <= 3) return Promise.reject(new BackupError('no_store', 'There is no store at /s/a.db yet'));
      stop.abort();
      return Promise.resolve(result('copy'));
    };
    const began = Date.now();

    await runSchedule({ intervalMs: 60_000, retryMs: 10, backup, log, signal: stop.signal });

    expect(Date.now() - began).toBeLessThan(1_000);
    expect(log.lines.map(([level, fields, message]) => [level, fields, message])).toEqual([
      ['warn', { failure: 'no_store' }, 'There is no store at /s/a.db yet; waiting for it'],
      ['info', expect.any(Object), expect.stringMatching(/^backup copy kept: /)],
    ]);
  });

  it('says so again when the store is gone after a copy', async () => {
    const stop = new AbortController();
    const log = recordingLog();
    let calls = 0;
    const backup = () => {
      calls++;
      if (calls === 2) return Promise.reject(new BackupError('no_store', 'There is no store at /s/a.db yet'));
      if (calls === 3) stop.abort();
      return Promise.resolve(result('copy'));
    };

    await runSchedule({ intervalMs: 10, retryMs: 10, backup, log, signal: stop.signal });

    expect(log.lines.map(([level]) => level)).toEqual(['info', 'warn', 'info']);
  });
});

describe('scheduleHealth', () => {
  let dir: string;
  const now = new Date('2026-12-05T17:00:00.000Z');
  const minutesAgo = (minutes: number) => copyName(new Date(now.getTime() - minutes * 60_000));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-health-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is unhealthy before the first copy', () => {
    expect(scheduleHealth(dir, 60_000, now)).toEqual({ healthy: false, line: `no copy in ${dir} yet` });
  });

  it('is healthy while the newest copy is at most two intervals old', () => {
    writeFileSync(join(dir, minutesAgo(30)), '');
    writeFileSync(join(dir, minutesAgo(2)), '');

    expect(scheduleHealth(dir, 60_000, now)).toEqual({
      healthy: true,
      line: `${minutesAgo(2)} was taken 120 s ago`,
    });
  });

  it('is unhealthy once the newest copy is older than two intervals', () => {
    writeFileSync(join(dir, minutesAgo(3)), '');

    expect(scheduleHealth(dir, 60_000, now)).toEqual({
      healthy: false,
      line: `${minutesAgo(3)} was taken 180 s ago, more than two intervals (60 s each): the schedule is failing`,
    });
  });
});
