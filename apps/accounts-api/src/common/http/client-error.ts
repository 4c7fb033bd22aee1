import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from './api-errors.decorator';
import { VALID_REQUEST_ID } from '../logging/request-id';

/** A request Node's parser refused: llhttp's error code, and the bytes it read. */
type ClientError = Error & { code?: string; rawPacket?: Buffer };

const STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
};

/**
 * Node answers a request it cannot parse (a control character in a header,
 * say) with a bare 400 and no body, which nginx passes on. Answer it in the
 * error shape instead, with the proxy's request id when the bytes read so far
 * hold one (nginx sends X-Request-Id first), so that it matches the id nginx
 * gives the client.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    // Nothing can be answered on a connection that is gone or already answering.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [statusCode, text] = STATUS[error.code ?? ''] ?? [400, 'Bad Request'];
    const given = /\r\nx-request-id: *([^\r\n]*)\r\n/i.exec(error.rawPacket?.toString('latin1') ?? '')?.[1];
    const body: ErrorBody = {
      statusCode,
      error: text,
      message: 'The request is not valid HTTP: a header holds characters HTTP does not allow, or the framing is broken',
      requestId: given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID(),
    };
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${statusCode} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nX-Request-Id: ${body.requestId}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
}
