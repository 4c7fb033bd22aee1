/** The command line both benchmarks take, and where they write their JSON: bench/results/, unless `--out FILE`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/support/docker.ts';

/** `--smoke`: a short run that proves the harness and judges nothing; it writes `<prefix>smoke.json`, a full run `<prefix>latest.json`. */
export function benchOptions(prefix: string): { readonly smoke: boolean; readonly outFile: string } {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } } });
  const name = `${prefix}${values.smoke ? 'smoke' : 'latest'}.json`;
  return { smoke: values.smoke, outFile: values.out ?? join(REPO_ROOT, 'bench/results', name) };
}

export function writeResults(outFile: string, results: unknown): void {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
}
