import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { clientFor } from '../support/http.ts';
import { inspect, useStack } from './stack';

const stack = useStack();

describe('the talk contract, through the published proxy port', () => {
  it('returns exactly the accounts of the seed file for POST /', async () => {
    const { data, response } = await clientFor({ baseUrl: stack().baseUrl, headers: {} }).POST('/');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(data).toEqual(JSON.parse(readFileSync(stack().seedFile, 'utf8')));
  });

  it('returns 405 with Allow: POST, OPTIONS for GET /', async () => {
    const res = await fetch(`${stack().baseUrl}/`);

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
  });

  it("passes the client's X-Request-Id through nginx to the api and back", async () => {
    const res = await fetch(`${stack().baseUrl}/`, { headers: { 'X-Request-Id': 'trace-42' } });

    expect(res.status).toBe(405); // answered by the api, not by an nginx error page
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    expect(((await res.json()) as { requestId: string }).requestId).toBe('trace-42');
  });

  it('makes a request id at the proxy when the client sends none, and the api uses it', async () => {
    const res = await fetch(`${stack().baseUrl}/`);
    const header = res.headers.get('x-request-id');

    expect(res.status).toBe(405);
    expect(header).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id, not the api's own UUID
    expect(((await res.json()) as { requestId: string }).requestId).toBe(header);
  });
});

describe('network isolation', () => {
  const apiId = () => stack().compose.getContainer('api-1').getId();

  it('publishes no port of the api container', async () => {
    const api = await inspect('container', apiId());

    const published = Object.values(api.NetworkSettings.Ports ?? {}).filter((bindings) => bindings);
    expect(published).toEqual([]);
    expect(api.HostConfig.PortBindings ?? {}).toEqual({});
  });

  it('attaches the api only to internal networks on which the host has no address', async () => {
    const api = await inspect('container', apiId());
    const networks = Object.keys(api.NetworkSettings.Networks);
    const hostAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a?.family === 'IPv4')
      .map((a) => a.address);

    expect(networks.length).toBeGreaterThan(0);
    for (const name of networks) {
      const network = await inspect('network', name);
      expect({ name, internal: network.Internal }).toEqual({ name, internal: true });
      expect(network.Options['com.docker.network.bridge.gateway_mode_ipv4']).toBe('isolated');
      for (const { Subnet, Gateway } of network.IPAM.Config) {
        expect({ name, Subnet, Gateway }).toEqual({ name, Subnet, Gateway: undefined });
        const onSubnet = hostAddresses.filter((address) => inIPv4Subnet(address, Subnet));
        expect({ name, Subnet, onSubnet }).toEqual({ name, Subnet, onSubnet: [] });
      }
    }
  });

  describe('from a container attached only to the edge network', () => {
    let probe: StartedTestContainer;

    beforeAll(async () => {
      const proxy = await inspect('container', stack().compose.getContainer('proxy-1').getId());
      const edge = Object.keys(proxy.NetworkSettings.Networks).find((n) => n.endsWith('_edge'));
      expect(edge).toBeDefined();
      probe = await new GenericContainer(proxy.Config.Image)
        .withNetworkMode(edge!)
        .withCommand(['sleep', 'infinity'])
        .start();
    });

    afterAll(async () => {
      await probe?.stop({ timeout: 1_000 });
    });

    it('resolves the proxy by name, so name resolution works there', async () => {
      expect((await probe.exec(['getent', 'hosts', 'proxy'])).exitCode).toBe(0);
    });

    it('cannot resolve the name api', async () => {
      const lookup = await probe.exec(['getent', 'hosts', 'api']);

      expect(lookup.exitCode).not.toBe(0);
      expect(lookup.output.trim()).toBe('');
    });
  });
});

function inIPv4Subnet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base.includes('.')) return false;
  const toInt = (ip: string) => ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(address) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}
