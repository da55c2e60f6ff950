import { join } from 'node:path';
import { runNode } from '@repo/runner';
import { SERVICES } from '../src/services';

const STACK = join(__dirname, '..', 'dist', 'main.js');
/** Every service on a free port, /metrics off (`order-book`: ORDER_BOOK_PORT, ...). */
const ANY_PORTS = Object.fromEntries(
  SERVICES.flatMap(({ name }) => {
    const prefix = name.toUpperCase().replaceAll('-', '_');
    return [
      [`${prefix}_PORT`, '0'],
      [`${prefix}_METRICS_PORT`, '0'],
    ];
  }),
);

describe('pnpm demo', () => {
  it('starts both services, shows every call kind, stops them cleanly and exits 0', async () => {
    const { exit, stdout, stderr } = await runNode(STACK, ['demo'], {
      env: ANY_PORTS,
      timeoutMs: 30_000,
    });

    expect(stderr).toBe('');
    expect(exit).toBe(0);
    expect(stdout).toMatch(/Serving: greeter at localhost:\d+, stream at localhost:\d+/);
    expect(stdout).toMatch(
      /▶ unary: helloworld\.Greeter\/SayHello\n {2}Hello world {2}\(served by .+\/\d+\)\n {2}✓ ok/,
    );
    expect(stdout).toMatch(
      /▶ server streaming: .*GetStream\n {2}#1 tick\n {2}#2 tick\n {2}#3 tick\n {2}✓ ok/,
    );
    expect(stdout).toMatch(
      /▶ client streaming: .*PutStream\n {2}the server received 5 messages, 26 bytes: alpha, beta, gamma, …, epsilon\n {2}✓ ok/,
    );
    expect(stdout).toMatch(
      /▶ bidirectional, stream -> greeter: .*AllStream\n {2}Hello Ada {2}\(from greeter .+\)\n {2}Hello Grace .*\n {2}Hello Linus .*\n {2}✓ ok/,
    );
    expect(stdout).toMatch(
      /▶ Connect JSON over HTTP, through the gateway: .*SayHello\n {2}\{"message":"Hello Ada"\} {2}\(served by .+\/\d+\)\n {2}the page: http:\/\/localhost:\d+\/\n {2}✓ ok/,
    );
    // Services added after these two (turbo gen service) stop first.
    expect(stdout).toMatch(/Stopped: (.+ exited 0, )?stream exited 0, greeter exited 0\n/);
    expect(stdout).toContain('✓ every call kind worked');
  });

  it('exits 1 and says why when a service cannot start', async () => {
    const { exit, stderr } = await runNode(STACK, ['demo'], {
      env: { ...ANY_PORTS, LOG_LEVEL: 'loud' },
    });

    expect(exit).toBe(1);
    expect(stderr).toMatch(
      /^stack: greeter: .* exited \(2\) before it was ready; stdout: \(nothing\); stderr: greeter: invalid configuration: LOG_LEVEL/m,
    );
  });

  it('exits 2 with its usage for an unknown mode', async () => {
    const { exit, stderr } = await runNode(STACK, ['dance']);

    expect(exit).toBe(2);
    expect(stderr).toContain('Usage: stack start | demo');
  });
});
