import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestId } from './request-id';

describe('requestId', () => {
  const call = (header?: string) => {
    const headers: Record<string, string> = {};
    const req = { headers: header === undefined ? {} : { 'x-request-id': header } } as unknown as IncomingMessage;
    const res = { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as ServerResponse;
    return { id: requestId(req, res), echoed: headers['x-request-id'] };
  };

  it('keeps a plain token from the caller and echoes it', () => {
    expect(call('c0ffee-42')).toEqual({ id: 'c0ffee-42', echoed: 'c0ffee-42' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['carrying a line break', 'abc\r\nSet-Cookie: x'],
    ['carrying spaces', 'a b'],
    ['too long', 'a'.repeat(129)],
  ])('makes a new id when the header is %s', (_case, header) => {
    const { id, echoed } = call(header);

    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(echoed).toBe(id);
  });
});
