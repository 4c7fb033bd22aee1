/**
 * The nginx configurations that `npm run bench:proxy` loads, one per service
 * of docker/bench/compose.proxy-layers.yaml: a minimal proxy, then the
 * stack's features added one at a time, then the stack's own nginx.conf and
 * variants of it that each undo one choice. The features' directives are
 * cut from docker/proxy/nginx.conf and api-server.conf, so that a layer
 * measures what the stack ships; a piece that can no longer be found fails
 * the run instead of measuring something else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/docker.ts';

const NGINX_CONF = readFileSync(join(REPO_ROOT, 'docker/proxy/nginx.conf'), 'utf8');
const API_SERVER_CONF = readFileSync(join(REPO_ROOT, 'docker/proxy/api-server.conf'), 'utf8');

function cut(text: string, pattern: RegExp, what: string): string {
  const found = text.match(pattern);
  if (found?.length !== 1) throw new Error(`bench:proxy cannot find ${what} in the proxy's configuration`);
  return found[0].trim();
}

/** A `map … $name { … }` block of nginx.conf. */
const map = (name: string) =>
  cut(NGINX_CONF, new RegExp(`^ {2}map [^\\n]* \\$${name} \\{\\n[\\s\\S]*?^ {2}\\}$`, 'gm'), `the map of $${name}`);
/** Every line of nginx.conf or api-server.conf that starts with `start`, wherever it is. */
function lines(text: string, start: string): string {
  const found = text.split('\n').filter((line) => line.trimStart().startsWith(start));
  if (found.length === 0) throw new Error(`bench:proxy cannot find \`${start}\` in the proxy's configuration`);
  return found.map((line) => line.trim()).join('\n');
}

const PIECES = {
  loadNjs: cut(NGINX_CONF, /^load_module [^\n]*js_module[^\n]*;$/gm, 'the njs module'),
  requestId: map('req_id'),
  logFormat: [map('client_method'), cut(NGINX_CONF, /^ {2}log_format json[\s\S]*?';$/gm, 'the JSON log format')],
  accessLog: cut(NGINX_CONF, /^ {2}access_log \/dev\/stdout json[^\n]*;$/gm, 'the access log'),
  headerMaps: ['content_security_policy', 'cache_control', 'retry_after', 'hsts'].map(map),
  hideHeaders: lines(API_SERVER_CONF, 'proxy_hide_header '),
  addHeaders: lines(API_SERVER_CONF, 'add_header '),
  retryAfterDefault: cut(
    API_SERVER_CONF,
    /^set \$auth_gate_retry_after "";$/gm,
    'the default of $auth_gate_retry_after',
  ),
  deadlineHttp: [
    'include /tmp/nginx/body-deadline-var.conf;',
    cut(NGINX_CONF, /^ {2}js_import body_deadline [^\n]*;$/gm, "the body deadline's js_import"),
  ],
  gateHttp: [
    'include /tmp/nginx/auth-failures-zone.conf;',
    cut(NGINX_CONF, /^ {2}js_import auth_failures [^\n]*;$/gm, "the gate's js_import"),
    cut(NGINX_CONF, /^ {2}js_set \$auth_failures_wait [^\n]*;$/gm, "the gate's js_set"),
    map('auth_gate_wait'),
  ],
} as const;

export interface Features {
  readonly workers: 'auto' | 1;
  /** The upstream keepalive pool: 32 in the minimal proxy. */
  readonly pool: number;
  readonly requestId?: boolean;
  readonly log?: 'unbuffered' | 'buffered';
  readonly headers?: boolean;
  readonly limits?: boolean;
  readonly gate?: boolean;
  /** The gate's js_set and js_header_filter with handlers that do nothing: what calling njs costs, apart from the gate's work. */
  readonly gateNoop?: boolean;
  /** The whole-body deadline's js_access (body-deadline.js), as PROXY_BODY_DEADLINE sets it. */
  readonly deadline?: boolean;
}

/** The gate's module, with handlers of the same names that do nothing; written beside the layers' configurations. */
const NOOP_GATE = 'auth-failures-noop.js';
const NOOP_GATE_MODULE = [
  '// bench:proxy: the handlers nginx.conf names, doing nothing (every key passes, nothing is counted).',
  'function count() {}',
  "function retryAfter() {\n  return '';\n}",
  'export default { count, retryAfter };',
  '',
].join('\n');
const noopGate = (line: string) =>
  line.startsWith('js_import auth_failures ') ? `js_import auth_failures from /etc/nginx/bench/${NOOP_GATE};` : line;

/** A whole nginx.conf with the features asked for, in front of `api:3000`. */
export function layerConfig(features: Features): string {
  const { workers, pool, requestId, log, headers, limits, gate, deadline } = features;
  const http: string[] = [
    'default_type application/json;',
    // The root filesystem is read-only: every path nginx writes is in /tmp.
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path /tmp/${kind};`),
    'resolver 127.0.0.11 valid=2s ipv6=off;',
    `upstream api {\n  zone api 64k;\n  server api:3000 resolve;\n  keepalive ${pool};\n  keepalive_timeout 60s;\n}`,
  ];
  const server: string[] = ['listen 8080;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";'];
  if (requestId) {
    http.push(PIECES.requestId);
    server.push('proxy_set_header X-Request-Id $req_id;');
    // With the security headers, add_header X-Request-Id comes among them.
    if (!headers) server.push('add_header X-Request-Id $req_id always;');
  }
  if (log) {
    http.push(...PIECES.logFormat);
    http.push(log === 'buffered' ? PIECES.accessLog : 'access_log /dev/stdout json;');
  } else {
    http.push('access_log off;');
  }
  if (headers) {
    http.push(...PIECES.headerMaps);
    server.push(PIECES.hideHeaders, PIECES.addHeaders, PIECES.retryAfterDefault);
  }
  if (limits) {
    http.push('include /tmp/nginx/conn-limit.conf;', 'include /tmp/nginx/rate-limit-zone.conf;');
    http.push('limit_conn_status 429;', 'limit_req_status 429;');
    server.push('include /tmp/nginx/rate-limit.conf;');
  }
  if (gate) {
    http.push(...(features.gateNoop ? PIECES.gateHttp.map(noopGate) : PIECES.gateHttp));
    server.push('include /tmp/nginx/auth-failures.conf;');
  }
  if (deadline) http.push(...PIECES.deadlineHttp);
  const location = [
    ...(deadline ? ['include /tmp/nginx/body-deadline.conf;'] : []),
    'proxy_pass http://api;',
    ...(gate ? ['include /tmp/nginx/auth-failures-count.conf;'] : []),
  ];
  server.push(`location / {\n${indent(location.join('\n'))}\n}`);
  const health = 'listen 127.0.0.1:8081;\naccess_log off;\nlocation = /healthz {\n  return 200 \'{"status":"ok"}\';\n}';
  return [
    `# bench:proxy: ${JSON.stringify(features)}`,
    `worker_processes ${workers};`,
    'pid /tmp/nginx.pid;',
    'error_log stderr warn;',
    ...(gate || deadline ? [PIECES.loadNjs] : []),
    'events {\n  worker_connections 4096;\n}',
    `http {\n${indent([...http, `server {\n${indent(server.join('\n'))}\n}`, `server {\n${indent(health)}\n}`].join('\n'))}\n}`,
    '',
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}

/** The stack's nginx.conf with one directive changed; it must be there exactly once. */
function stackWith(pattern: RegExp, replacement: string, what: string): string {
  cut(NGINX_CONF, new RegExp(pattern.source, 'gm'), what);
  return NGINX_CONF.replace(pattern, replacement);
}

/** Every configuration file the compose file's services name, by file name. */
export function layerFiles(): Record<string, string> {
  // After the pool, each layer adds one feature to the one before, with no connection churn to blur it.
  const chain: Features = { workers: 1, pool: 256 };
  const gated: Features = { ...chain, requestId: true, log: 'buffered', headers: true, limits: true, gate: true };
  return {
    'minimal.conf': layerConfig({ workers: 'auto', pool: 32 }),
    'pool-256.conf': layerConfig({ workers: 'auto', pool: 256 }),
    'one-worker.conf': layerConfig(chain),
    'request-id.conf': layerConfig({ ...chain, requestId: true }),
    'log-unbuffered.conf': layerConfig({ ...chain, requestId: true, log: 'unbuffered' }),
    'log-buffered.conf': layerConfig({ ...chain, requestId: true, log: 'buffered' }),
    'headers.conf': layerConfig({ ...chain, requestId: true, log: 'buffered', headers: true }),
    'limits.conf': layerConfig({ ...chain, requestId: true, log: 'buffered', headers: true, limits: true }),
    'gate.conf': layerConfig(gated),
    'gate-noop.conf': layerConfig({ ...gated, gateNoop: true }),
    [NOOP_GATE]: NOOP_GATE_MODULE,
    'deadline.conf': layerConfig({ ...gated, deadline: true }),
    'stack-log-unbuffered.conf': stackWith(
      /^( {2}access_log \/dev\/stdout json) [^;\n]*;$/m,
      '$1;',
      'a buffered access log',
    ),
    'stack-pool-32.conf': stackWith(/^( {4}keepalive) \d+;$/m, '$1 32;', 'the upstream keepalive pool'),
    'stack-auto.conf': stackWith(/^worker_processes \S+;$/m, 'worker_processes auto;', 'worker_processes'),
  };
}
