// What nginx itself knows and its stub_status does not tell: how many
// answers it made up because no api replica took the request. The 502 and
// 504 pages of api-server.conf count themselves here (error_page sends
// nginx's own 502 and 504 there, never an api's, as proxy_intercept_errors
// is off), and the internal port 8082 serves the counts in Prometheus's text
// format at /metrics (nginx.conf). Counters live in the shared dictionary
// `proxy_metrics`, so they last across reloads and start again at 0 when
// nginx does, which Prometheus's rate() expects of a counter.
//
// Nothing is counted on the way of a request that succeeds. The module runs
// in njs, which has no for…of.

const STATUSES = ['502', '504'];

/** js_set of $proxy_upstream_error, read once by each 502 or 504 page: counts it, and is empty. */
function countUpstreamError(r) {
  const status = r.uri.slice(-3);
  if (STATUSES.includes(status)) ngx.shared.proxy_metrics.incr(status, 1, 0);
  return '';
}

/** js_content of 8082's /metrics. */
function exposition(r) {
  const counts = ngx.shared.proxy_metrics;
  const lines = [
    '# HELP accounts_proxy_upstream_errors_total Answers nginx made itself because no api replica took the request (502) or none answered in time (504)',
    '# TYPE accounts_proxy_upstream_errors_total counter',
  ];
  STATUSES.forEach((status) => {
    lines.push(`accounts_proxy_upstream_errors_total{status="${status}"} ${counts.get(status) ?? 0}`);
  });
  r.headersOut['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
  r.return(200, `${lines.join('\n')}\n`);
}

export default { countUpstreamError, exposition };
