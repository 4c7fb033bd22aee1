import { ArgumentsHost, BadRequestException, NotFoundException } from '@nestjs/common';
import { AccountNotFoundError } from '../../accounts/accounts.errors';
import { Metrics } from '../../metrics/metrics';
import { StoreFullError, StoreUnavailableError } from '../../store/store.errors';
import { UnsupportedMethodException } from '../exceptions/unsupported-method.exception';
import { HttpErrorFilter } from './http-error.filter';

describe('HttpErrorFilter', () => {
  const metrics = { domainError: jest.fn() };
  beforeEach(() => metrics.domainError.mockClear());

  const respond = (exception: unknown, req: object = { id: 'req-1' }) => {
    const sent = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
    const res = {
      setHeader: (name: string, value: string) => (sent.headers[name] = value),
      status(code: number) {
        sent.status = code;
        return this;
      },
      json: (body: unknown) => (sent.body = body),
    };
    const host = {
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ArgumentsHost;
    new HttpErrorFilter(metrics as unknown as Metrics).catch(exception, host);
    return sent;
  };

  it('keeps the status and message of an HttpException in the error shape', () => {
    expect(respond(new NotFoundException('account 9 does not exist'))).toMatchObject({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'account 9 does not exist', requestId: 'req-1' },
    });
  });

  it('answers a domain error with the status of its code, and its message', () => {
    expect(respond(new AccountNotFoundError(9))).toEqual({
      status: 404,
      headers: {},
      body: { statusCode: 404, error: 'Not Found', message: 'Account 9 does not exist', requestId: 'req-1' },
    });
    expect(respond(new StoreFullError('disk full'))).toMatchObject({
      status: 507,
      headers: {},
      body: { error: 'Insufficient Storage' },
    });
  });

  it('counts a domain error by its code, and nothing that is not one', () => {
    respond(new StoreUnavailableError('down'));
    respond(new NotFoundException('no route'));
    respond(new Error('a bug'));

    expect(metrics.domainError.mock.calls).toEqual([['store_unavailable']]);
  });

  it('tells the client when to retry a store that is down', () => {
    expect(respond(new StoreUnavailableError('down'))).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '1' },
      body: { statusCode: 503, error: 'Service Unavailable', message: 'down' },
    });
  });

  it('answers an unknown error with 500 and no detail', () => {
    const sent = respond(new Error('secret detail'));
    expect(sent).toMatchObject({ status: 500, body: { message: 'Internal server error' } });
    expect(JSON.stringify(sent.body)).not.toContain('secret');
  });

  it('joins validation messages into one sentence', () => {
    const { body } = respond(new BadRequestException(['name must be a string', 'id must be an integer']));

    expect(body).toMatchObject({ statusCode: 400, message: 'name must be a string; id must be an integer' });
  });

  it('sends the allowed methods in Allow for a 405', () => {
    const sent = respond(new UnsupportedMethodException(['POST', 'OPTIONS'], 'GET', '/'));

    expect(sent.status).toBe(405);
    expect(sent.headers).toEqual({ Allow: 'POST, OPTIONS' });
    expect(sent.body).toMatchObject({ message: 'GET / is not allowed; use POST or OPTIONS' });
  });

  it('answers a body-parser error with its 4xx status', () => {
    const parseError = Object.assign(new SyntaxError('Unexpected end of JSON input'), { status: 400 });

    expect(respond(parseError)).toMatchObject({ status: 400, body: { error: 'Bad Request' } });
  });

  it('gives a request id to an error raised before the logging middleware ran', () => {
    const sent = respond(new NotFoundException(), { headers: { 'x-request-id': 'from-proxy' } });

    expect(sent.body).toMatchObject({ requestId: 'from-proxy' });
    expect(sent.headers).toEqual({ 'x-request-id': 'from-proxy' });
  });

  it('hides the details of an unexpected error behind a 500', () => {
    const { status, body } = respond(new Error('SQLITE_CORRUPT at /var/lib/secret.db'));

    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      requestId: 'req-1',
    });
  });
});
