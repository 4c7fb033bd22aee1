/**
 * The one module that starts the docker CLI, for every test harness here:
 * the stack, fault, swarm and three-node suites, the unit specs' PostgreSQL,
 * the benchmark, the docs runner and CI's clean-up. Every call has the same
 * shape, `(args, options)`. Plain TypeScript with ES module syntax and no
 * enums or parameter properties, so that jest (through ts-jest) and Node's
 * own type stripping (the .mts scripts) both load it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

/** The folder of compose.yaml: every harness runs from the repository, whichever subfolder it starts in. */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'compose.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no compose.yaml above ${from}: run the tests from the repository`);
  }
}

export const REPO_ROOT = findRepoRoot(process.cwd());

export interface RunOptions {
  /** Written to the command's stdin, then closed; a stream is piped (an image for `docker load`). */
  readonly input?: string | Buffer | Readable;
  /**
   * Variables over this process's environment, such as compose.yaml's
   * tunables; `undefined` removes an inherited one (COMPOSE_FILE, for instance).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The repository root unless given. */
  readonly cwd?: string;
  /** Stopped with SIGTERM after this long (a failure); five minutes unless given. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** A failure resolves to an empty stdout instead of throwing: for clean-ups, where nothing there is fine. */
  readonly quiet?: boolean;
}

/** What a compose command adds: the project and its files, relative to the repository root. */
export interface ComposeOptions extends RunOptions {
  readonly project: string;
  readonly files?: readonly string[];
}

/** How a command ended, whatever its exit status. */
export interface RunResult {
  /** The exit status, or null when a signal (the timeout's) ended it. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A failed command: its message names it and ends with its stderr; `code` is its exit status. */
export type CommandError = Error & { readonly code: number | null; readonly stdout: string; readonly stderr: string };

const DEFAULT_TIMEOUT_MS = 300_000;
/** What quietly() waits for a clean-up step before giving up on it. */
const QUIET_TIMEOUT_MS = 120_000;

function environment(env: RunOptions['env'] = {}): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/**
 * Runs `command ARGS` and resolves with its exit status and output, whatever
 * the status: for specs that expect a refusal. A timeout, an abort or a
 * command that cannot start still rejects (unless `quiet`).
 */
export function runResult(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { input, env, cwd = REPO_ROOT, timeoutMs = DEFAULT_TIMEOUT_MS, signal, quiet = false } = options;
  return new Promise((resolve, reject) => {
    // An abort's reason is whatever the caller gave; a rejection is always an Error.
    const fail = (error: unknown) =>
      quiet
        ? resolve({ status: null, stdout: '', stderr: String(error) })
        : reject(error instanceof Error ? error : new Error(String(error)));
    if (signal?.aborted) return fail(signal.reason);
    const child = spawn(command, [...args], {
      cwd,
      env: environment(env),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    let stopped: unknown;
    const stop = (why: unknown) => {
      stopped ??= why;
      child.kill('SIGTERM');
    };
    const timer = setTimeout(
      () => stop(new Error(`${command} ${args.join(' ')} stopped after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => stop(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => (stopped ??= error));
    child.on('close', (status) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (stopped !== undefined) return fail(stopped);
      resolve({
        status,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    if (child.stdin) {
      // The command may exit before reading all of it (a refusal): its status says what happened.
      child.stdin.on('error', () => undefined);
      if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
      else input?.on('error', stop).pipe(child.stdin);
    }
  });
}

/**
 * Runs `command ARGS` and returns its stdout. A non-zero exit throws a
 * CommandError that names the command and ends with its stderr; with
 * `quiet`, any failure returns ''.
 */
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runResult(command, args, options);
  if (result.status === 0) return result.stdout;
  if (options.quiet) return '';
  const why = result.stderr.trim().split('\n').slice(-40).join('\n');
  throw Object.assign(new Error(`${command} ${args.join(' ')} failed: ${why || `exit status ${result.status}`}`), {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
  }) as CommandError;
}

/** `docker ARGS`, from the repository root unless told otherwise; stdout, or a CommandError. */
export function docker(args: readonly string[], options?: RunOptions): Promise<string> {
  return run('docker', args, options);
}

/** `docker ARGS` whatever its exit status: the status, stdout and stderr. */
export function dockerResult(args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return runResult('docker', args, options);
}

/** `docker compose -p PROJECT -f FILE… ARGS`; with no files, compose finds compose.yaml in `cwd`. */
export function composeArgs(args: readonly string[], { project, files = [] }: ComposeOptions): string[] {
  return ['compose', '-p', project, ...files.flatMap((file) => ['-f', file]), ...args];
}

/** `docker compose` on a project, its files relative to `cwd` (the repository root unless given). */
export function compose(args: readonly string[], options: ComposeOptions): Promise<string> {
  return docker(composeArgs(args, options), options);
}

/** `docker ARGS` for a clean-up: two minutes at most unless told, and '' whatever goes wrong. */
export function quietly(args: readonly string[], options: RunOptions = {}): Promise<string> {
  return docker(args, { timeoutMs: QUIET_TIMEOUT_MS, ...options, quiet: true });
}

/**
 * `docker ARGS` left running in a process group of its own, its output
 * piped, for commands that do not end by themselves (`docker compose watch`):
 * the caller reads it, and stops the group with `process.kill(-child.pid)`.
 */
export function dockerProcess(args: readonly string[], { env, cwd = REPO_ROOT }: RunOptions = {}): ChildProcess {
  return spawn('docker', [...args], { cwd, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/**
 * Parsed JSON that specs read field by field: log lines, `docker inspect`
 * output, response bodies. Loosely typed on purpose, here only; the specs'
 * assertions are what check its shape.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;

/** `docker inspect` of one container, network or volume, parsed. */
export async function inspect<T = Json>(kind: 'container' | 'network' | 'volume', name: string): Promise<T> {
  return (JSON.parse(await docker([kind, 'inspect', name])) as T[])[0];
}

/** The JSON lines among a service's or a container's log lines; other lines (Nest's boot banner) are skipped. */
export function jsonLines(text: string): Record<string, Json>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, Json>);
}

/** Everything a container wrote to stdout and stderr, as the engine keeps it. */
export async function containerLogs(container: string, options?: RunOptions): Promise<string> {
  const { status, stdout, stderr } = await dockerResult(['logs', container], options);
  if (status !== 0) throw new Error(`docker logs ${container} failed: ${stderr.trim()}`);
  return `${stdout}\n${stderr}`;
}

/** Calls `read` until it returns something other than undefined, or the time is up (then undefined). */
export async function eventually<T>(
  read: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  intervalMs = 250,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the container's healthcheck reports healthy, for at most `timeoutMs`. */
export async function waitHealthy(container: string, timeoutMs = 60_000): Promise<void> {
  const status = async () => (await docker(['inspect', '--format', '{{.State.Health.Status}}', container])).trim();
  const healthy = await eventually(async () => ((await status()) === 'healthy' ? true : undefined), timeoutMs, 500);
  if (!healthy) throw new Error(`${container} is ${await status()} after ${timeoutMs} ms, not healthy`);
}
