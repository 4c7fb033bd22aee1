// The container healthcheck: exits 0 only when the api answers GET /health with
// 200. Written in Node because the runtime image has no curl or wget.
import { httpConfig } from './config/http.config';

const { port } = httpConfig();
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
