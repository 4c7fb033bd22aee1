import { ConfigType, registerAs } from '@nestjs/config';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { validateEnv } from './validate-env';

/** `90`, `90s`, `15m`, `1h`: seconds unless a unit says otherwise. */
const DURATION = /^([1-9]\d{0,5})(s|m|h)?$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a BACKUP_INTERVAL value; it has passed DURATION. */
export function parseInterval(value: string): number {
  const [, amount, unit = 's'] = DURATION.exec(value)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

class BackupEnv {
  /** The folder the copies are written to: in compose.backup.yaml, the `backups` volume. */
  @IsString()
  @IsNotEmpty()
  readonly BACKUP_DIR!: string;

  /**
   * The time between two scheduled copies, which bounds what a lost state
   * volume loses: the writes acknowledged since the newest copy.
   */
  @IsOptional()
  @Matches(DURATION, { message: '$property must be a duration such as 30s, 15m or 1h (seconds without a unit)' })
  readonly BACKUP_INTERVAL?: string;

  /** How many copies are kept; a new good copy removes the oldest beyond this. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  readonly BACKUP_KEEP?: number;
}

export const backupConfig = registerAs('backup', () => {
  const env = validateEnv(BackupEnv);
  return {
    dir: env.BACKUP_DIR,
    intervalMs: parseInterval(env.BACKUP_INTERVAL ?? '15m'),
    keep: env.BACKUP_KEEP ?? 96,
  };
});

export type BackupConfig = ConfigType<typeof backupConfig>;
