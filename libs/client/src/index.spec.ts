import { createAccountsClient } from './index';

/** A fetch that answers 200 with `body` and keeps every request it was given. */
function recordingFetch(body: unknown = []) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { requests, fetch };
}

describe('createAccountsClient', () => {
  it('sends requests to the base URL with the key as a bearer token', async () => {
    const { requests, fetch } = recordingFetch({ data: [], next: null });
    const api = createAccountsClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'acckey_x', fetch });

    const { data } = await api.GET('/accounts', { params: { query: { limit: 5 } } });

    expect(data).toEqual({ data: [], next: null });
    expect(requests[0].url).toBe('http://127.0.0.1:8080/accounts?limit=5');
    expect(requests[0].headers.get('authorization')).toBe('Bearer acckey_x');
  });

  it('sends no Authorization header without a key', async () => {
    const { requests, fetch } = recordingFetch();
    const api = createAccountsClient({ baseUrl: 'http://127.0.0.1:8080', fetch });

    await api.POST('/');

    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers.has('authorization')).toBe(false);
  });

  it('lets one call send another key, or none', async () => {
    const { requests, fetch } = recordingFetch();
    const api = createAccountsClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'acckey_admin', fetch });

    await api.GET('/keys', { headers: { Authorization: 'Bearer acckey_read' } });
    await api.GET('/keys', { headers: { Authorization: null } });

    expect(requests[0].headers.get('authorization')).toBe('Bearer acckey_read');
    expect(requests[1].headers.has('authorization')).toBe(false);
  });

  it('sends the headers it was made with on every request', async () => {
    const { requests, fetch } = recordingFetch();
    const api = createAccountsClient({
      baseUrl: 'http://127.0.0.1:8080',
      headers: { 'X-Request-Id': 'trace-1' },
      fetch,
    });

    await api.POST('/');
    await api.POST('/', { headers: { 'X-Request-Id': 'trace-2' } });

    expect(requests.map((request) => request.headers.get('x-request-id'))).toEqual(['trace-1', 'trace-2']);
  });

  it('fills path parameters and sends bodies as JSON', async () => {
    const { requests, fetch } = recordingFetch();
    const api = createAccountsClient({ baseUrl: 'http://127.0.0.1:8080', fetch });

    await api.PATCH('/accounts/{id}', { params: { path: { id: 7 } }, body: { name: 'alice' } });

    expect(requests[0].url).toBe('http://127.0.0.1:8080/accounts/7');
    expect(requests[0].headers.get('content-type')).toBe('application/json');
    expect(await requests[0].json()).toEqual({ name: 'alice' });
  });
});
