import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { docker, run } from '../test/support/docker.ts';

export interface Machine {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly docker: string;
  readonly compose: string;
  readonly storageDriver: string;
  readonly cgroupVersion: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages before the run: anything well above 0 means the figures shared the CPUs. */
  readonly loadAverageAtStart: readonly number[];
}

export interface Revision {
  readonly commit: string | null;
  /** Uncommitted changes in the working tree when the run started. */
  readonly dirty: boolean | null;
}

export async function describeMachine(): Promise<Machine> {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? 'unknown';
  const [engine, compose] = await Promise.all([
    docker(['info', '--format', '{{.ServerVersion}} {{.Driver}} {{.CgroupVersion}}']),
    docker(['compose', 'version', '--short']),
  ]);
  const [dockerVersion, storageDriver, cgroupVersion] = engine.trim().split(' ');
  return {
    cpuModel,
    cpus: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    docker: dockerVersion,
    compose: compose.trim(),
    storageDriver,
    cgroupVersion,
    node: process.version,
    loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** The commit the figures belong to; null fields when the tree is not a git checkout. */
export async function describeRevision(): Promise<Revision> {
  try {
    const [head, status] = await Promise.all([
      run('git', ['rev-parse', 'HEAD']),
      run('git', ['status', '--porcelain']),
    ]);
    return { commit: head.trim(), dirty: status.trim() !== '' };
  } catch {
    return { commit: null, dirty: null };
  }
}
