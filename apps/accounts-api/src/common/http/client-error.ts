import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from './api-errors.decorator';
import { VALID_REQUEST_ID } from '../logging/request-id';

/** A request Node's parser refused: llhttp's error code, and the bytes it read. */
type ClientError = Error & { code?: string; rawPacket?: Buffer };

const NOT_HTTP =
  'The request is not valid HTTP: a header holds characters HTTP does not allow, or the framing is broken';

const STATUS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', NOT_HTTP],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', NOT_HTTP],
  // The server's requestTimeout or headersTimeout ran out (src/main.ts): the
  // whole-request deadline for a body that trickles in.
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in full in time'],
};

/**
 * Node answers a request it cannot parse (a control character in a header,
 * say) with a bare 400 and no body, which nginx passes on. Answer it in the
 * error shape instead, with the proxy's request id when the bytes read so far
 * hold one (nginx sends X-Request-Id first), so that it matches the id nginx
 * gives the client.
 */
export function answerClientErrors(server: Server): void {
  // A request that times out had its headers read before, so they are not in
  // the error's bytes: the id of the request a connection is receiving is kept
  // here until its answer is sent.
  const requestIds = new WeakMap<Duplex, string>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const id = request.headers['x-request-id'];
    if (typeof id !== 'string') return;
    requestIds.set(request.socket, id);
    response.on('finish', () => requestIds.delete(request.socket));
  });
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    // Nothing can be answered on a connection that is gone or already answering.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [statusCode, text, message] = STATUS[error.code ?? ''] ?? [400, 'Bad Request', NOT_HTTP];
    const given =
      /\r\nx-request-id: *([^\r\n]*)\r\n/i.exec(error.rawPacket?.toString('latin1') ?? '')?.[1] ??
      requestIds.get(socket);
    const body: ErrorBody = {
      statusCode,
      error: text,
      message,
      requestId: given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID(),
    };
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${statusCode} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nX-Request-Id: ${body.requestId}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
}
