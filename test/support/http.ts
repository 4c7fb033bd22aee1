import { createAccountsClient, type AccountsClient, type LedgerEntry } from '../../libs/client/src/index.ts';
import type { Json } from './docker.ts';

/** Where requests go: the published proxy port, with the key's Authorization header. */
export interface Api {
  readonly baseUrl: string;
  /** `Authorization: Bearer <key>`; a Stack's are its admin key's. */
  readonly headers: Readonly<Record<string, string>>;
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The typed client (libs/client) for an Api, for the api's ordinary
 * operations; `call` stays for requests about the wire itself. Made per use:
 * a Stack's published port moves when its proxy is recreated.
 */
export function clientFor(api: Api): AccountsClient {
  return createAccountsClient({
    baseUrl: api.baseUrl,
    headers: api.headers,
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
  });
}

/** JSON over fetch against the published proxy port, the way curl does it. */
export interface JsonResponse<T = Json> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export async function call<T = Json>(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const headers = { ...api.headers, ...extraHeaders };
  const res = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Every item of a paginated list, following `next` links (bounded, in case a bug loops). */
export async function allPages<T>(api: Api, first: string, maxPages = 1_000): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = first;
  for (let page = 0; next && page < maxPages; page++) {
    const res: JsonResponse<{ data: T[]; next: string | null }> = await call(api, 'GET', next);
    if (res.status !== 200) throw new Error(`GET ${next} answered ${res.status}: ${JSON.stringify(res.body)}`);
    items.push(...res.body.data);
    next = res.body.next;
  }
  return items;
}

/** An account's whole ledger through the typed client, page after page (bounded, in case a bug loops). */
export async function ledgerOf(api: Api, id: number, maxPages = 1_000): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const { data, error, response } = await clientFor(api).GET('/accounts/{id}/transactions', {
      params: { path: { id }, query: { limit: 100, cursor } },
    });
    if (!data) throw new Error(`GET ${response.url} answered ${response.status}: ${JSON.stringify(error)}`);
    entries.push(...data.data);
    if (data.next === null) return entries;
    cursor = new URL(data.next, api.baseUrl).searchParams.get('cursor') ?? undefined;
  }
  throw new Error(`the ledger of account ${id} has more than ${maxPages} pages`);
}

/** The Authorization header for a key. */
export const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });
