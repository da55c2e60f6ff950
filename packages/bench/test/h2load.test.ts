import { spawnSync } from 'node:child_process';
import { parseH2loadOutput, runH2load } from '../src/h2load';
import { type RunningServer, startServer } from '../src/servers';

// The summary lines of h2load nghttp2/1.52.0 against the ceiling server (-c 4 -m 10 -D 2 --warm-up-time 1).
const SAMPLE = `finished in 3.00s, 12465.00 req/s, 597.21KB/s
requests: 24930 total, 24930 started, 24930 done, 24930 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 24960 2xx, 0 3xx, 0 4xx, 0 5xx
`;

describe('parseH2loadOutput', () => {
  it('reads throughput and request counts', () => {
    expect(parseH2loadOutput(SAMPLE)).toEqual({
      requestsPerSecond: 12465,
      done: 24930,
      failed: 0,
      errored: 0,
    });
  });

  it('says so, quoting it, when the output is not a summary', () => {
    expect(() => parseH2loadOutput('connect: Connection refused\n')).toThrow(/not an h2load summary/);
  });
});

describe('runH2load', () => {
  // Known when the tests are collected (Debian's nghttp2-client): jest does not await a describe.
  if (spawnSync('h2load', ['--version']).status === 0) {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startServer('ceiling', { cpu: 0 });
    });

    afterAll(async () => {
      await server.stop();
    });

    it('measures SayHello on the ceiling server for one second, every request answered', async () => {
      const result = await runH2load({
        target: server.target,
        connections: 2,
        streams: 10,
        durationS: 1,
        warmupS: 0,
        cpu: 1,
      });
      expect(result.done).toBeGreaterThan(100);
      expect(result.requestsPerSecond).toBeGreaterThan(100);
      expect(result.failed + result.errored).toBe(0);
    });

    it('rejects instead of reporting zeros when nothing listens at the target', async () => {
      await expect(
        runH2load({ target: '127.0.0.1:1', connections: 1, streams: 1, durationS: 1, warmupS: 0 }),
      ).rejects.toThrow(/completed no request/);
    });
  } else {
    it('rejects when h2load is missing', async () => {
      await expect(
        runH2load({ target: '127.0.0.1:1', connections: 1, streams: 1, durationS: 1, warmupS: 0 }),
      ).rejects.toThrow(/ENOENT/);
    });
  }
});
