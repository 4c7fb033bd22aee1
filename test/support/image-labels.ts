/**
 * What compose.yaml's OCI labels take from the environment (IMAGE_REVISION,
 * IMAGE_CREATED, IMAGE_SOURCE) for this checkout, as docker/image-labels.sh
 * prints them for a reader's build: the harnesses build with the same script.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './docker.ts';

let cached: Readonly<Record<string, string>> | undefined;

/** Run once per process: the labels name the commit, which a run does not change. */
export function imageLabelEnv(): Readonly<Record<string, string>> {
  cached ??= Object.fromEntries(
    execFileSync(join(REPO_ROOT, 'docker/image-labels.sh'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );
  return cached;
}
