// A deadline for a request's whole body. nginx's client_body_timeout times
// only the gap between two reads, so a client sending a byte every few
// seconds held a connection, and one of its address's PROXY_CONN_LIMIT
// slots, for as long as it liked; nginx has no directive for the whole body
// (nginx/nginx#1024). This runs in the access phase (js_access), before
// anything reaches the api: it reads the body itself, with a timer of
// PROXY_BODY_DEADLINE seconds from that moment, and lets the request go on
// to the api once the body is in.
//
// A body late past the deadline ends the request with an exception, which
// nginx answers as it answers its own timeouts: by closing the connection,
// with no answer, when it next reads from it (the next byte, or
// client_body_timeout's silence). r.return() cannot do it: while the body
// is being read it only records a status, and the read goes on.
//
// Requests without a body (no Content-Length, no Transfer-Encoding) pass at
// once, and without an async function: one would make a promise for every
// request, which cost nginx about 1.06 x its CPU per keyed request
// (bench/README.md).

const deadlineMs = (r) => Number(r.variables.body_deadline_seconds) * 1000;

function guard(r) {
  const length = r.headersIn['Content-Length'];
  if ((length === undefined || length === '0') && r.headersIn['Transfer-Encoding'] === undefined) return undefined;
  return readWithin(r, deadlineMs(r));
}

async function readWithin(r, ms) {
  const timer = setTimeout(() => {
    r.error(`request body not received within ${ms / 1000} s (PROXY_BODY_DEADLINE); closing the connection`);
    throw new Error('request body deadline');
  }, ms);
  try {
    await r.readRequestText();
  } finally {
    // The access phase waits for every timer the handler left.
    clearTimeout(timer);
  }
}

export default { guard };
