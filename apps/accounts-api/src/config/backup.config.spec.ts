import { backupConfig, parseInterval } from './backup.config';

describe('the backup settings', () => {
  const withEnv = (env: Record<string, string | undefined>) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
    try {
      return backupConfig();
    } finally {
      process.env = saved;
    }
  };

  it('reads an interval in seconds, minutes or hours, seconds without a unit', () => {
    expect([parseInterval('90'), parseInterval('90s'), parseInterval('15m'), parseInterval('2h')]).toEqual([
      90_000, 90_000, 900_000, 7_200_000,
    ]);
  });

  it('takes a copy every 15 minutes and keeps 96 (a day of them) unless told otherwise', () => {
    expect(withEnv({ BACKUP_DIR: '/b', BACKUP_INTERVAL: undefined, BACKUP_KEEP: undefined })).toEqual({
      dir: '/b',
      intervalMs: 900_000,
      keep: 96,
    });
    expect(withEnv({ BACKUP_DIR: '/b', BACKUP_INTERVAL: '3s', BACKUP_KEEP: '5' })).toEqual({
      dir: '/b',
      intervalMs: 3_000,
      keep: 5,
    });
  });

  it('refuses a folder left out, an interval it cannot read and a count below one, naming each', () => {
    expect(() => withEnv({ BACKUP_DIR: undefined, BACKUP_INTERVAL: '5 minutes', BACKUP_KEEP: '0' })).toThrow(
      /^Invalid environment: BACKUP_DIR=null: .*; BACKUP_INTERVAL="5 minutes": BACKUP_INTERVAL must be a duration such as 30s, 15m or 1h \(seconds without a unit\); BACKUP_KEEP="0": BACKUP_KEEP must not be less than 1$/,
    );
    expect(() => withEnv({ BACKUP_DIR: '/b', BACKUP_INTERVAL: '0s' })).toThrow(/BACKUP_INTERVAL="0s"/);
  });
});
