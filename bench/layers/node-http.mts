/** The floor: node:http answering POST / with the accounts, and nothing else. */
import { createServer } from 'node:http';
import { ACCOUNTS_JSON, port } from './accounts.mts';

const length = String(Buffer.byteLength(ACCOUNTS_JSON));
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
  res.end(ACCOUNTS_JSON);
}).listen(port(), '127.0.0.1');
