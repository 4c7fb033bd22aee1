import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLines, runResult, type Json } from '../support/docker.ts';
import { eventually, proxyErrors, useStack, type Stack } from './stack';

const stack = useStack();
const REQUEST_TIMEOUT_MS = 15_000;
// testssl.sh takes about two minutes for protocols, cipher categories and vulnerabilities on a busy machine.
const TESTSSL_TIMEOUT_MS = 420_000;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const caOf = (s: Stack) => readFileSync(s.caFile, 'utf8');

/**
 * One request with node:http or node:https, which send the Host header they
 * are given (fetch() sets its own); over HTTPS trusting the development CA
 * only, as Node's own store does not know it.
 */
function send(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      // The certificate is checked for localhost whatever Host says (node:https would check Host's name).
      { method, headers, ca: caOf(stack()), servername: 'localhost', agent: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const headerOf = (answer: Answer, name: string) => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** How a TLS handshake with these options ends: the protocol agreed, or the error's code. */
function handshake(options: ConnectionOptions): Promise<string> {
  const { port } = new URL(stack().tlsUrl);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: Number(port), ca: caOf(stack()), ...options }, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The proxy's access log line for one request, of whichever proxy container runs now, once nginx has written it. */
async function proxyLine(requestId: string): Promise<Record<string, Json> | undefined> {
  return eventually(async () =>
    jsonLines(await stack().composeCli(['logs', '--no-log-prefix', 'proxy'])).find(
      (line) => line.request_id === requestId,
    ),
  );
}

/** The proxy again as the stack started it, after a test changed its environment. */
async function restoreProxy(): Promise<void> {
  await stack().composeCli(['up', '--detach', '--wait', '--no-deps', '--force-recreate', 'proxy'], {
    timeoutMs: 120_000,
  });
}

describe('HTTPS at the edge (PROXY_TLS_DIR: the development certificates)', () => {
  it('serves the api over HTTPS to a client that trusts the development CA (Node), with HSTS', async () => {
    const res = await send(`${stack().tlsUrl}/`, { method: 'POST' });

    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'joe' })]));
    expect(headerOf(res, 'strict-transport-security')).toBe('max-age=63072000');
  });

  it('serves the same request to `curl --cacert`, and a client without the CA refuses the certificate', async () => {
    const curl = (args: string[]) =>
      runResult('curl', ['--silent', '--show-error', '--max-time', '15', '-X', 'POST', ...args, `${stack().tlsUrl}/`]);

    const trusted = await curl(['--cacert', stack().caFile, '--write-out', '\n%{http_code} %{http_version}']);
    expect(trusted.stderr).toBe('');
    expect(trusted.stdout.trim().split('\n').at(-1)).toBe('200 2');

    const untrusted = await curl([]);
    expect(untrusted.status).toBe(60);
  });

  it('has no HSTS header on plain HTTP, where a browser ignores it', async () => {
    const res = await fetch(`${stack().baseUrl}/`, { method: 'POST', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('speaks TLS 1.3 and 1.2, and refuses TLS 1.1 with a protocol_version alert', async () => {
    // The client allows the old protocol (security level 0), so that the refusal is the server's.
    const old = { ciphers: 'DEFAULT@SECLEVEL=0' };

    expect(await handshake({})).toBe('TLSv1.3');
    expect(await handshake({ ...old, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake({ ...old, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' })).toBe(
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    );
  });

  it('offers no TLS 1.2 suite without forward secrecy or AEAD (RSA key exchange, CBC)', async () => {
    const weak = ['AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384'];
    for (const ciphers of weak) {
      expect({ ciphers, result: await handshake({ ciphers, maxVersion: 'TLSv1.2' }) }).toEqual({
        ciphers,
        result: expect.stringMatching(/^ERR_SSL_.*HANDSHAKE_FAILURE$/),
      });
    }
  });

  it('negotiates HTTP/2 by ALPN', async () => {
    const session = http2Connect(stack().tlsUrl, { ca: caOf(stack()) });
    try {
      const answer = await new Promise<{ status: number; alpn: string | false | undefined }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/' });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.close());
        req.on('response', (headers) => {
          resolve({ status: Number(headers[':status']), alpn: session.alpnProtocol });
          req.resume();
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer).toEqual({ status: 200, alpn: 'h2' });
    } finally {
      session.close();
    }
  });

  it.each([
    ['plain HTTP', () => stack().baseUrl],
    ['HTTPS', () => stack().tlsUrl],
  ])(
    'answers 421, in the error shape, and logs it, to a Host it does not serve (DNS rebinding), over %s',
    async (_name, url) => {
      const requestId = `rebinding-${Date.now()}-${new URL(url()).protocol.slice(0, -1)}`;
      const headers = { Host: 'attacker.example', 'X-Request-Id': requestId };
      const res = await send(`${url()}/`, { method: 'POST', headers });

      expect(res.status).toBe(421);
      expect(headerOf(res, 'content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toEqual({
        statusCode: 421,
        error: 'Misdirected Request',
        message: expect.stringContaining('PROXY_SERVER_NAMES') as unknown,
        requestId,
      });
      const logged = await proxyLine(requestId);
      expect(logged).toMatchObject({ status: 421, host: 'attacker.example', upstream_addr: '' });
    },
  );

  it('serves the names in PROXY_SERVER_NAMES: localhost, 127.0.0.1 and [::1], with or without a port', async () => {
    const port = new URL(stack().tlsUrl).port;
    for (const host of ['localhost', `localhost:${port}`, '127.0.0.1', `[::1]:${port}`]) {
      const res = await send(`${stack().tlsUrl}/`, { method: 'POST', headers: { Host: host } });
      expect({ host, status: res.status }).toEqual({ host, status: 200 });
    }
  });

  it('gives Location and `next` links that, read against the HTTPS address, stay on HTTPS', async () => {
    const auth = { Authorization: stack().headers.Authorization, 'Content-Type': 'application/json' };
    const created = await send(`${stack().tlsUrl}/accounts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: `tls-${Date.now()}` }),
    });
    expect(created.status).toBe(201);
    const location = new URL(headerOf(created, 'location') ?? '', `${stack().tlsUrl}/`);
    expect(location.origin).toBe(stack().tlsUrl);
    expect((await send(location.href, { headers: auth })).status).toBe(200);

    const first = await send(`${stack().tlsUrl}/accounts?limit=1`, { headers: auth });
    const next = new URL((JSON.parse(first.body) as { next: string }).next, `${stack().tlsUrl}/accounts`);
    expect(next.origin).toBe(stack().tlsUrl);
    expect((await send(next.href, { headers: auth })).status).toBe(200);
  });

  it(
    'passes testssl.sh (protocols, cipher categories, vulnerabilities) with no HIGH or CRITICAL finding',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'testssl-'));
      try {
        const report = join(dir, 'findings.json');
        const { port } = new URL(stack().tlsUrl);
        const result = await runResult(
          'testssl',
          [
            ...['--quiet', '--color', '0', '--warnings', 'off', '--protocols', '--std', '--vulnerable'],
            ...['--add-ca', stack().caFile, '--jsonfile', report, `127.0.0.1:${port}`],
          ],
          { timeoutMs: TESTSSL_TIMEOUT_MS },
        );
        const summary = result.stdout.split('\n').filter((line) => /\S/.test(line));
        console.log(`testssl.sh on 127.0.0.1:${port}:\n${summary.join('\n')}`);
        const findings = JSON.parse(readFileSync(report, 'utf8')) as {
          id: string;
          severity: string;
          finding: string;
        }[];

        // Something was tested: a run that could not connect reports nothing at all.
        expect(findings.find((f) => f.id === 'TLS1_3')).toMatchObject({ finding: expect.stringMatching(/^offered/) });
        expect(findings.find((f) => f.id === 'TLS1_1')).toMatchObject({ finding: 'not offered' });
        expect(findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL')).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TESTSSL_TIMEOUT_MS + 10_000,
  );

  describe('published beyond loopback (PROXY_BIND=0.0.0.0; the requests still go to 127.0.0.1)', () => {
    afterAll(restoreProxy, 150_000);

    it('answers plain HTTP only with a 308 to HTTPS, which keeps a POST a POST, and the api never sees it', async () => {
      await stack().composeCli(['up', '--detach', '--wait', '--no-deps', '--force-recreate', 'proxy'], {
        env: { PROXY_BIND: '0.0.0.0' },
        timeoutMs: 120_000,
      });
      const published = (await stack().composeCli(['port', 'proxy', '8080'])).trim().split(':').at(-1);
      const requestId = `redirect-${Date.now()}`;
      const body = JSON.stringify({ name: `redirected-${Date.now()}` });

      const res = await fetch(`http://127.0.0.1:${published}/accounts?from=plain`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...stack().headers, 'content-type': 'application/json', 'x-request-id': requestId },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      expect(res.status).toBe(308);
      const location = res.headers.get('location') ?? '';
      expect(location).toBe(`${stack().tlsUrl}/accounts?from=plain`);
      expect(res.headers.get('strict-transport-security')).toBeNull();
      const logged = await proxyLine(requestId);
      expect(logged).toMatchObject({ status: 308, method: 'POST', upstream_addr: '' });

      // What a client that follows the 308 does: the same method and body, to HTTPS.
      const followed = await send(location, {
        method: 'POST',
        headers: { Authorization: stack().headers.Authorization, 'content-type': 'application/json' },
        body,
      });
      expect(followed.status).toBe(201);

      const misdirected = await send(`http://127.0.0.1:${published}/`, {
        method: 'POST',
        headers: { Host: 'attacker.example' },
      });
      expect(misdirected.status).toBe(421);
    }, 150_000);

    it('refuses to start without a certificate, rather than serve keys in clear text', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'no-certs-'));
      try {
        await expect(
          stack().composeCli(
            ['up', '--detach', '--wait', '--wait-timeout', '30', '--no-deps', '--force-recreate', 'proxy'],
            { env: { PROXY_BIND: '0.0.0.0', PROXY_TLS_DIR: empty }, timeoutMs: 120_000 },
          ),
        ).rejects.toThrow();
        const log = await stack().composeCli(['logs', '--no-log-prefix', 'proxy']);
        expect(log).toContain(
          'proxy failed to start: PROXY_BIND=0.0.0.0 publishes the proxy beyond this machine, and without a certificate API keys would cross the network in clear text',
        );
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    }, 150_000);
  });

  afterAll(async () => {
    const errors = await proxyErrors(stack()).catch(() => '');
    if (errors) console.log(`nginx's last errors and warnings:\n${errors}`);
  });
});
