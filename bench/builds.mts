import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { docker, quietly, REPO_ROOT } from '../test/support/docker.ts';
import { PROJECT } from './stack.mts';

const DOCKERFILE = 'docker/api/Dockerfile';
/** Touched in the copy for the source-only rebuild: every api build compiles it. */
const CHANGED_SOURCE = 'apps/accounts-api/src/main.ts';
/** Never part of the api's build context (.dockerignore), and large: not copied. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'coverage', 'bench']);
const CLEAN_TAG = `${PROJECT}/api:clean`;
const REBUILD_TAG = `${PROJECT}/api:rebuild`;
// A clean build on a cold machine downloads every dependency.
const BUILD_TIMEOUT_MS = 15 * 60_000;

export interface ImageFigures {
  readonly image: string;
  readonly bytes: number;
  readonly base: string;
  readonly baseBytes: number;
  readonly addedBytes: number;
  /** True when the base is docker/offline's stand-in rather than the official image. */
  readonly baseIsStandIn: boolean;
}

export interface BuildFigures {
  readonly cleanSeconds: number;
  readonly sourceOnlySeconds: number;
  readonly changedFile: string;
}

/** The api's base image: NODE_IMAGE when set (as compose passes it), else the Dockerfile's default. */
export function apiBaseImage(): string {
  if (process.env.NODE_IMAGE) return process.env.NODE_IMAGE;
  const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8'))?.[1];
  if (!base) throw new Error(`${DOCKERFILE} has no ARG NODE_IMAGE default`);
  return base;
}

export async function imageFigures(image: string, signal: AbortSignal): Promise<ImageFigures> {
  const base = apiBaseImage();
  const inspect = async (name: string) => {
    const [size, description] = (
      await docker(
        [
          'image',
          'inspect',
          '--format',
          '{{.Size}}\t{{index .Config.Labels "org.opencontainers.image.description"}}',
          name,
        ],
        { signal },
      )
    )
      .trim()
      .split('\t');
    return { bytes: Number(size), description: description ?? '' };
  };
  const [built, baseImage] = await Promise.all([inspect(image), inspect(base)]);
  return {
    image,
    bytes: built.bytes,
    base,
    baseBytes: baseImage.bytes,
    addedBytes: built.bytes - baseImage.bytes,
    baseIsStandIn: /stand-in/i.test(baseImage.description),
  };
}

/**
 * Times a build with no layer cache, then the build after a one-line change to
 * one source file, both in a throwaway copy of the build context so that the
 * working tree is never touched. BuildKit's npm cache mount survives
 * `--no-cache`, so the clean build downloads nothing that is already cached.
 */
export async function timeBuilds(signal: AbortSignal): Promise<BuildFigures> {
  const context = mkdtempSync(join(tmpdir(), `${PROJECT}-context-`));
  try {
    cpSync(REPO_ROOT, context, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(relative(REPO_ROOT, source).split(sep)[0]),
    });
    const build = async (tag: string, ...flags: string[]) => {
      const started = performance.now();
      await docker(
        [
          'build',
          ...flags,
          ...(process.env.NODE_IMAGE ? ['--build-arg', `NODE_IMAGE=${process.env.NODE_IMAGE}`] : []),
          '--file',
          join(context, DOCKERFILE),
          '--tag',
          tag,
          context,
        ],
        { timeoutMs: BUILD_TIMEOUT_MS, signal },
      );
      return (performance.now() - started) / 1000;
    };
    const cleanSeconds = await build(CLEAN_TAG, '--no-cache');
    appendFileSync(join(context, CHANGED_SOURCE), `// benchmark rebuild ${new Date().toISOString()}\n`);
    const sourceOnlySeconds = await build(REBUILD_TAG);
    return { cleanSeconds, sourceOnlySeconds, changedFile: CHANGED_SOURCE };
  } finally {
    rmSync(context, { recursive: true, force: true });
    await quietly(['image', 'rm', '--force', CLEAN_TAG, REBUILD_TAG]);
  }
}
