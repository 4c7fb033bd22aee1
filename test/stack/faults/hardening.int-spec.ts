import { docker, inspect, useStack } from '../stack';
import { expectErrorShape, portOf, rawRequest, type RawResponse } from '../../support/raw-http.ts';

// The compose defaults, rate limit included: this file sends a few dozen requests.
const stack = useStack();

const SERVICES = ['proxy', 'api'] as const;
const containerId = (service: string) => stack().compose.getContainer(`${service}-1`).getId();

/** The kernel's view of the container's PID 1: ids, capabilities, no_new_privs. */
async function pid1Status(service: string): Promise<Record<string, string>> {
  const status = await docker(['exec', containerId(service), 'cat', '/proc/1/status']);
  return Object.fromEntries(status.split('\n').map((line) => line.split(/:\s*/, 2) as [string, string]));
}

async function canWrite(service: string, dir: string): Promise<boolean> {
  const file = `${dir}/.hardening-probe`;
  try {
    await docker(['exec', containerId(service), 'sh', '-c', `echo probe > ${file} && rm ${file}`]);
    return true;
  } catch {
    return false;
  }
}

describe.each(SERVICES)('the %s container', (service) => {
  it('runs as a non-root user, also as seen from inside', async () => {
    const container = await inspect('container', containerId(service));
    const status = await pid1Status(service);

    expect(container.Config.User).not.toMatch(/^(|root|0)(:|$)/);
    expect((await docker(['exec', containerId(service), 'id', '-u'])).trim()).not.toBe('0');
    // Real, effective, saved and filesystem uid of PID 1.
    expect(status.Uid.split(/\s+/).filter((uid) => uid === '0')).toEqual([]);
  });

  it('has no Linux capabilities and cannot gain privileges', async () => {
    const { HostConfig } = await inspect('container', containerId(service));
    const status = await pid1Status(service);

    expect(HostConfig.CapDrop).toEqual(['ALL']);
    expect(HostConfig.CapAdd ?? []).toEqual([]);
    expect(HostConfig.Privileged).toBe(false);
    expect(HostConfig.SecurityOpt).toContainEqual(expect.stringMatching(/^no-new-privileges(:true)?$/));
    expect({ CapEff: status.CapEff, CapBnd: status.CapBnd, NoNewPrivs: status.NoNewPrivs }).toEqual({
      CapEff: '0000000000000000',
      CapBnd: '0000000000000000',
      NoNewPrivs: '1',
    });
  });

  it('has a read-only root filesystem and a writable tmpfs /tmp', async () => {
    const { HostConfig } = await inspect('container', containerId(service));

    expect(HostConfig.ReadonlyRootfs).toBe(true);
    expect(Object.keys(HostConfig.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(await canWrite(service, '/')).toBe(false);
    expect(await canWrite(service, '/etc')).toBe(false);
    expect(await canWrite(service, '/tmp')).toBe(true);
  });

  it('is capped in memory, CPU and number of processes', async () => {
    const { HostConfig } = await inspect('container', containerId(service));

    expect(HostConfig.Memory).toBeGreaterThan(0);
    expect(HostConfig.Memory).toBeLessThanOrEqual(1024 ** 3);
    expect(HostConfig.NanoCpus).toBeGreaterThan(0);
    expect(HostConfig.NanoCpus).toBeLessThanOrEqual(2e9);
    expect(HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(HostConfig.PidsLimit).toBeLessThanOrEqual(256);
  });
});

describe('writable places', () => {
  it('lets the api write its state volume and nothing else outside /tmp', async () => {
    expect(await canWrite('api', '/var/lib/accounts-api')).toBe(true);
    expect(await canWrite('api', '/app')).toBe(false);
    expect(await canWrite('api', '/data/seed')).toBe(false);
  });

  it('publishes no port of the api, and only 8080 and 8443 (HTTPS) of the proxy, on loopback (PROXY_BIND unset)', async () => {
    const api = await inspect('container', containerId('api'));
    const proxy = await inspect('container', containerId('proxy'));

    expect(api.HostConfig.PortBindings ?? {}).toEqual({});
    expect(Object.values(api.NetworkSettings.Ports ?? {}).filter(Boolean)).toEqual([]);
    expect(Object.keys(proxy.HostConfig.PortBindings).sort()).toEqual(['8080/tcp', '8443/tcp']);
    for (const port of ['8080/tcp', '8443/tcp']) {
      expect(proxy.HostConfig.PortBindings[port].map((b: { HostIp: string }) => b.HostIp)).toEqual(['127.0.0.1']);
    }
  });
});

/** The headers every answer carries, whoever made it. */
const API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const COMMON_HEADERS = {
  'x-content-type-options': ['nosniff'],
  'x-frame-options': ['DENY'],
  'referrer-policy': ['no-referrer'],
  'cross-origin-resource-policy': ['same-origin'],
  server: ['nginx'],
};

const request = (head: string, body: Buffer | string = '') => {
  const headers = Buffer.from(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  return rawRequest(portOf(stack()), Buffer.concat([headers, Buffer.from(body)]));
};
const JSON_70_KIB = 'POST / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 70000';

// Each answered by a different party: the api, or nginx before or instead of the api.
const ANSWERS: [string, () => Promise<RawResponse>, number][] = [
  ['the api, 200 to POST /', () => request('POST / HTTP/1.1\r\nContent-Length: 0'), 200],
  ['the api, 405 to GET /', () => request('GET / HTTP/1.1'), 405],
  ['the api, 404 to an unknown path', () => request('GET /no/such/path HTTP/1.1'), 404],
  ['nginx, 413 to a body over 64 KiB', () => request(JSON_70_KIB, Buffer.alloc(70_000, 0x20)), 413],
  ['nginx, 400 to a malformed request line', () => request('GARBAGE'), 400],
  ['nginx, 400 to a path above the root', () => request('GET /../etc/passwd HTTP/1.1'), 400],
  ['nginx, 431 to a 9 KiB header', () => request(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(9 * 1024)}`), 431],
  ['nginx, 414 to a 9 KiB path', () => request(`GET /${'a'.repeat(9 * 1024)} HTTP/1.1`), 414],
  ['nginx, 404 to its own internal error page', () => request('GET /_proxy/400 HTTP/1.1'), 404],
  ['nginx, 405 to TRACE', () => request('TRACE / HTTP/1.1'), 405],
  ['nginx, 501 to an unknown transfer coding', () => request('POST / HTTP/1.1\r\nTransfer-Encoding: gzip', 'x'), 501],
];

describe('security headers, through the published proxy port', () => {
  it.each(ANSWERS)('are on every answer: %s', async (_name, send, status) => {
    const res = await send();

    expect(res.status).toBe(status);
    expect(res.headers).toMatchObject({ ...COMMON_HEADERS, 'content-security-policy': [API_POLICY] });
    expect(res.headers['x-powered-by']).toBeUndefined();
    if (status !== 200) {
      expect(res.headers['cache-control']).toEqual(['no-store']);
      expectErrorShape(res);
    }
  });

  it('marks API answers not to be stored', async () => {
    const res = await fetch(`${stack().baseUrl}/accounts`, { headers: stack().headers });

    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('Swagger UI under /docs', () => {
  const docsPolicy = async () => {
    const res = await fetch(`${stack().baseUrl}/docs`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    return { res, html, directives };
  };

  it('gets a policy that allows its own scripts, styles and images, and nothing else', async () => {
    const { res, directives } = await docsPolicy();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Object.fromEntries(directives)).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('loads only same-origin scripts and styles (allowed) and no inline script (which would be blocked)', async () => {
    const { res, html } = await docsPolicy();
    const page = new URL(res.url);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    const assets = [
      ...scripts.map(([, attrs]) => /\bsrc="([^"]+)"/.exec(attrs)?.[1]),
      ...[...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/gi)].map(([, href]) => href),
    ];

    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter(([, attrs, inline]) => !/\bsrc=/.test(attrs) && inline.trim() !== '')).toEqual([]);
    for (const asset of assets) {
      const url = new URL(asset!, page);
      expect(url.origin).toBe(page.origin);
      const loaded = await fetch(url);
      expect({ asset, status: loaded.status }).toEqual({ asset, status: 200 });
      expect(loaded.headers.get('content-security-policy')).toContain("script-src 'self'");
      await loaded.arrayBuffer();
    }
  });
});
