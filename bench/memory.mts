import { docker } from '../test/support/docker.ts';

/**
 * Two views of one container's memory, in MiB.
 *
 * `workingSetMiB` is what `docker stats` shows: the cgroup's usage less its
 * inactive file cache, the figure `mem_limit` and the OOM killer act on. It is
 * the one the target is judged on.
 *
 * `vmRssMiB` is the node process's VmRSS from /proc/1/status. It also counts
 * the pages of the node binary mapped from the image (shared, clean, dropped
 * under pressure), so it reads tens of MiB above what the process allocated;
 * `rssAnonMiB` is that allocated part alone.
 */
export interface MemorySample {
  readonly workingSetMiB: number;
  readonly vmRssMiB: number;
  readonly rssAnonMiB: number;
}

export const MEMORY_METHOD =
  'workingSetMiB: `docker stats --no-stream` MEM USAGE (cgroup usage less inactive file cache); ' +
  'vmRssMiB and rssAnonMiB: VmRSS and RssAnon of the node process (PID 1) from /proc/1/status via `docker exec`';

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
};

export async function sampleMemory(containerId: string, signal?: AbortSignal): Promise<MemorySample> {
  const [stats, status] = await Promise.all([
    docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', containerId], { signal }),
    docker(['exec', containerId, 'cat', '/proc/1/status'], { signal }),
  ]);
  return {
    workingSetMiB: parseDockerSize(stats.split('/')[0]) / 1024 ** 2,
    vmRssMiB: statusKiB(status, 'VmRSS') / 1024,
    rssAnonMiB: statusKiB(status, 'RssAnon') / 1024,
  };
}

/** Samples until `work` settles and returns the highest of each figure, with the work's own result. */
export async function peakMemoryDuring<T>(
  containerId: string,
  work: Promise<T>,
  signal: AbortSignal,
): Promise<{ peak: MemorySample; result: T }> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  // Handled below; this keeps a failure of the work from counting as unhandled while sampling runs.
  settled.catch(() => {});
  const samples: MemorySample[] = [];
  try {
    // Each sample takes about a second (docker stats waits for a second reading), which paces the loop.
    while (!done) samples.push(await sampleMemory(containerId, signal));
  } catch (error) {
    await settled.catch(() => {});
    throw error;
  }
  const result = await settled;
  if (samples.length === 0) throw new Error('no memory sample was taken under load');
  return {
    result,
    peak: {
      workingSetMiB: Math.max(...samples.map((s) => s.workingSetMiB)),
      vmRssMiB: Math.max(...samples.map((s) => s.vmRssMiB)),
      rssAnonMiB: Math.max(...samples.map((s) => s.rssAnonMiB)),
    },
  };
}

export function parseDockerSize(text: string): number {
  const match = /^\s*([\d.]+)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = match && UNITS[match[2]];
  if (!match || !unit) throw new Error(`unreadable size from docker stats: '${text.trim()}'`);
  return Number(match[1]) * unit;
}

function statusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`/proc/1/status has no ${field} line`);
  return Number(match[1]);
}
