/** The command line the benchmarks take, where they write their JSON (bench/results/, unless `--out FILE`), and the median they report. */
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

/** The middle value, or the mean of the two middle ones: what the benches report of their rounds. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
