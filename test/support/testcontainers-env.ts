// Ryuk, testcontainers' reaper, is an image from a registry that air-gapped
// machines cannot pull; the suites take their stacks down themselves instead
// (and .ci/run does so again if a run is killed).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

// Where a /.dockerenv file exists, testcontainers assumes it runs inside a
// container and looks for mapped ports on the bridge gateway, where a port
// published on the host never answers. With a local engine the host is loopback.
const dockerHost = process.env.DOCKER_HOST ?? '';
if (dockerHost === '' || dockerHost.startsWith('unix://')) {
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}
