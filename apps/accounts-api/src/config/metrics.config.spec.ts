import { metricsConfig } from './metrics.config';

describe('metricsConfig', () => {
  const withPort = (value: string | undefined) => {
    const saved = process.env.METRICS_PORT;
    if (value === undefined) delete process.env.METRICS_PORT;
    else process.env.METRICS_PORT = value;
    try {
      return metricsConfig();
    } finally {
      if (saved === undefined) delete process.env.METRICS_PORT;
      else process.env.METRICS_PORT = saved;
    }
  };

  it('serves on 9464 unless told otherwise', () => {
    expect(withPort(undefined)).toEqual({ enabled: true, port: 9464 });
  });

  it('takes any port, 0 for any free one, or off', () => {
    for (const port of [0, 1, 80, 9464, 59999, 64999, 65499, 65529, 65535]) {
      expect(withPort(String(port))).toEqual({ enabled: true, port });
    }
    expect(withPort('off')).toEqual({ enabled: false });
  });

  it('refuses anything else, naming the variable', () => {
    for (const value of ['65536', '70000', '99999', '-1', '09464', '9464 ', 'on', 'OFF', '']) {
      expect(() => withPort(value)).toThrow(
        `METRICS_PORT=${JSON.stringify(value)}: METRICS_PORT must be a port (0 to 65535) or off`,
      );
    }
  });
});
