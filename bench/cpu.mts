/**
 * Where the CPU time of a load row goes: each container's cgroup and Docker's
 * userland port proxy (`docker-proxy`, one host process per published port,
 * which carries every connection to a loopback port unless the engine runs
 * with `"userland-proxy": false`). Read from the host's /proc and cgroup
 * files, so only where the engine runs on this kernel (Linux, not Docker
 * Desktop); elsewhere the figures are left out, never guessed.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { docker } from '../test/support/docker.ts';

/** /proc/<pid>/stat counts in clock ticks; Linux's USER_HZ is 100 on every architecture Docker runs on. */
const NS_PER_TICK = 10_000_000;

export interface Meter {
  /** The column it fills: `docker-proxy`, or the service it measures (`nginx`, `api`, `postgres`, `Flask`). */
  readonly name: string;
  /** CPU time used so far, in ns, or null when it cannot be read here. */
  read(): number | null;
}

function readNumber(path: string, pattern?: RegExp): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    const match = pattern ? pattern.exec(text)?.[1] : text.trim();
    return match === undefined ? null : Number(match);
  } catch {
    return null;
  }
}

/** A container's CPU time, in ns, from its cgroup: v1 (cpuacct) or v2 (systemd or cgroupfs driver). */
function containerNanos(id: string): number | null {
  const nanoseconds = readNumber(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`);
  if (nanoseconds !== null) return nanoseconds;
  const usage = /^usage_usec (\d+)$/m;
  const microseconds =
    readNumber(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, usage) ??
    readNumber(`/sys/fs/cgroup/docker/${id}/cpu.stat`, usage);
  return microseconds === null ? null : microseconds * 1000;
}

/** Several containers (the replicas of one service) as one meter. */
export function containersMeter(name: string, ids: readonly string[]): Meter {
  return {
    name,
    read: () => {
      let total = 0;
      for (const id of ids) {
        const nanoseconds = containerNanos(id);
        if (nanoseconds === null) return null;
        total += nanoseconds;
      }
      return total;
    },
  };
}

/** The host processes whose command line `matches`. */
function processes(matches: (args: readonly string[], pid: number) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (matches(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'), Number(entry))) pids.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

/** The docker-proxy processes that listen on `port`. */
const portProxyMeter = (port: number) =>
  processMeter(
    'docker-proxy',
    processes((args) => args[0].endsWith('docker-proxy') && args[args.indexOf('-host-port') + 1] === String(port)),
  );

/**
 * The engine, `dockerd`, in this PID namespace (not one inside a container):
 * among its work, it reads what every container writes to stdout and stderr
 * and hands it to the log driver, so a log line costs CPU there as well as
 * in the container that writes it. Its healthchecks and API calls count too,
 * which a row's load does not change.
 */
export function engineMeter(): Meter {
  const here = readlinkSync('/proc/self/ns/pid');
  const engine = (args: readonly string[]) => args[0] === 'dockerd' || args[0].endsWith('/dockerd');
  return processMeter(
    'dockerd',
    processes((args, pid) => engine(args) && readlinkSync(`/proc/${pid}/ns/pid`) === here),
  );
}

/** Processes on the host, as one meter: utime + stime from /proc. */
function processMeter(name: string, pids: readonly number[]): Meter {
  return {
    name,
    read: () => {
      if (pids.length === 0) return null;
      let ticks = 0;
      for (const pid of pids) {
        // Fields 14 and 15 (utime, stime), counted after the command name's closing parenthesis.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      }
      return ticks * NS_PER_TICK;
    },
  };
}

/** Column names for the services a request passes through. */
const SERVICE_NAMES: Record<string, string> = { proxy: 'nginx', api: 'api', postgres: 'postgres', flask: 'Flask' };

/**
 * Meters along the path of a request to `url`: Docker's port proxy for its
 * port, the container that publishes the port and, when that is a proxy, the
 * services of its project behind it (every replica of one service together).
 */
export async function metersFor(url: string): Promise<Meter[]> {
  const port = new URL(url).port;
  const format = '{{.ID}} {{.Label "com.docker.compose.project"}} {{.Label "com.docker.compose.service"}}';
  const [entry] = (await docker(['ps', '--no-trunc', '--filter', `publish=${port}`, '--format', format]))
    .split('\n')
    .filter(Boolean);
  if (!entry) throw new Error(`no container publishes port ${port}`);
  const [, project, service] = entry.split(' ');
  const containers =
    service === 'proxy'
      ? await docker([
          'ps',
          '--no-trunc',
          '--filter',
          `label=com.docker.compose.project=${project}`,
          '--format',
          format,
        ])
      : entry;
  const byService = new Map<string, string[]>();
  for (const line of containers.split('\n').filter(Boolean)) {
    const [id, , name] = line.split(' ');
    byService.set(name, [...(byService.get(name) ?? []), id]);
  }
  return [
    portProxyMeter(Number(port)),
    ...[...byService].map(([name, ids]) => containersMeter(SERVICE_NAMES[name] ?? name, ids)),
  ];
}

/** ns of CPU per meter, summed over several runs; null once a meter could not be read. */
export type CpuSpent = Array<number | null>;

/** Runs `work` and adds to `spent` what each meter used meanwhile, so that runs of other rows in between are not counted. */
export async function metered<T>(meters: readonly Meter[], spent: CpuSpent, work: () => Promise<T>): Promise<T> {
  const before = meters.map((meter) => meter.read());
  const result = await work();
  meters.forEach((meter, index) => {
    const [start, end, sum] = [before[index], meter.read(), spent[index]];
    spent[index] = start === null || end === null || sum === null ? null : sum + end - start;
  });
  return result;
}

/**
 * µs of CPU per request for each meter from the ns it spent over a row,
 * leaving out meters that could not be read and those that did not work
 * during the row (under a microsecond per request).
 */
export function perRequest(meters: readonly Meter[], spent: CpuSpent, requests: number): Record<string, number> {
  const figures: Record<string, number> = {};
  meters.forEach((meter, index) => {
    const nanoseconds = spent[index];
    if (nanoseconds === null || requests === 0) return;
    const microseconds = nanoseconds / requests / 1000;
    if (microseconds >= 1) figures[meter.name] = Math.round(microseconds * 10) / 10;
  });
  return figures;
}
