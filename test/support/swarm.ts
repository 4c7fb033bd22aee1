/**
 * The one-node swarm that test/swarm/one-node deploys compose.swarm.yaml
 * on, and its removal, shared with CI's clean-up (clean-up.mts). What the spec
 * changed on the engine is written to a marker file under the OS temp folder
 * at once, so that a run killed halfway is still undone: a swarm it
 * initialised is left, a node label it added is removed. A swarm that was
 * there before is never left, and other stacks on it are never touched.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, eventually, quietly } from './docker.ts';
import { SWARM } from './projects.ts';

export const MARKER_FILE = join(tmpdir(), SWARM.marker);
/** compose.swarm.yaml places PostgreSQL on a node with this label, compose.swarm.monitoring.yaml Prometheus and Alertmanager. */
export const POSTGRES_LABEL = 'accounts.postgres';
export const MONITORING_LABEL = 'accounts.monitoring';
const LABELS = [POSTGRES_LABEL, MONITORING_LABEL];

interface Marker {
  /** The spec ran `docker swarm init`. */
  leaveSwarm: boolean;
  /** The node the spec labelled, on a swarm that was there before, and the labels it added. */
  labelledNode?: string;
  addedLabels?: string[];
}

interface SwarmInfo {
  readonly LocalNodeState: string;
  readonly ControlAvailable: boolean;
  readonly NodeID: string;
}

const swarmInfo = async (): Promise<SwarmInfo> =>
  JSON.parse(await docker(['info', '--format', '{{json .Swarm}}'])) as SwarmInfo;

const readMarker = (): Marker =>
  existsSync(MARKER_FILE) ? (JSON.parse(readFileSync(MARKER_FILE, 'utf8')) as Marker) : { leaveSwarm: false };
const writeMarker = (marker: Marker) => writeFileSync(MARKER_FILE, JSON.stringify(marker));

/**
 * Makes this engine a swarm manager (`docker swarm init` on 127.0.0.1) unless
 * it is one already, and labels its node for PostgreSQL and for the monitoring.
 */
export async function prepareSwarm(): Promise<void> {
  const marker = readMarker();
  let info = await swarmInfo();
  if (info.LocalNodeState === 'inactive') {
    marker.leaveSwarm = true;
    writeMarker(marker);
    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    info = await swarmInfo();
  }
  if (!info.ControlAvailable)
    throw new Error(
      `this engine is in a swarm (${info.LocalNodeState}) but not a manager: the swarm spec cannot deploy`,
    );
  const labels = JSON.parse(await docker(['node', 'inspect', '--format', '{{json .Spec.Labels}}', 'self'])) as Record<
    string,
    string
  > | null;
  const missing = LABELS.filter((label) => labels?.[label] !== 'true');
  if (missing.length > 0) {
    if (!marker.leaveSwarm) {
      marker.labelledNode = info.NodeID;
      marker.addedLabels = [...new Set([...(marker.addedLabels ?? []), ...missing])];
    }
    writeMarker(marker);
    await docker(['node', 'update', ...missing.flatMap((label) => ['--label-add', `${label}=true`]), info.NodeID]);
  }
}

/**
 * Removes the spec's stack, its secrets, volume and image tags, then undoes
 * what the marker says the spec changed. Quiet, and fine when nothing is there.
 */
export async function removeSwarmStack(): Promise<void> {
  const info = await swarmInfo().catch(() => undefined);
  if (info?.ControlAvailable) {
    await quietly(['stack', 'rm', '--detach=false', SWARM.stack]);
    // The volume and the secrets are in use until the last container is gone.
    await eventually(
      async () =>
        (
          await quietly(['ps', '--all', '--quiet', '--filter', `label=com.docker.stack.namespace=${SWARM.stack}`])
        ).trim() === ''
          ? true
          : undefined,
      60_000,
      500,
    );
    await quietly(['secret', 'rm', ...SWARM.secrets]);
    await quietly(['volume', 'rm', ...SWARM.volumes]);
  }
  await quietly(['image', 'rm', ...SWARM.images]);
  const marker = readMarker();
  if (marker.labelledNode && info?.ControlAvailable)
    await quietly([
      'node',
      'update',
      ...(marker.addedLabels ?? [POSTGRES_LABEL]).flatMap((label) => ['--label-rm', label]),
      marker.labelledNode,
    ]);
  if (marker.leaveSwarm && info?.LocalNodeState === 'active') {
    await quietly(['swarm', 'leave', '--force']);
    // Made by `docker swarm init`, and kept by `leave`.
    await quietly(['network', 'rm', 'docker_gwbridge']);
  }
  rmSync(MARKER_FILE, { force: true });
}
