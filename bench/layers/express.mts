/** Express 5 alone: its router and res.json around the same answer. */
import express from 'express';
import { ACCOUNTS, port } from './accounts.mts';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/', (_req, res) => {
  res.json(ACCOUNTS);
});
app.listen(port(), '127.0.0.1');
