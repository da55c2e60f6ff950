import { join } from 'node:path';
import { runNode } from '@repo/runner';
import { closedAddress, type ServiceProcess, spawnService } from '@repo/test-kit';
import type { LoadResult } from '../src/load';

/** The built CLI: `pnpm --filter @repo/bench build` first. */
const CLI = join(__dirname, '..', 'dist', 'load', 'cli.js');

let greeter: ServiceProcess;

beforeAll(async () => {
  greeter = await spawnService(require.resolve('@repo/greeter/main'));
});

afterAll(async () => {
  await greeter?.stop();
});

describe('grpc-load', () => {
  it('prints one JSON object with --json, and the server figures with --server-pid', async () => {
    const result = await runNode(CLI, [
      ...['--target', greeter.target, '--connections', '2', '--streams', '4', '--duration', '0.6'],
      ...['--warmup', '0.2', '--server-pid', String(greeter.child.pid), '--json'],
    ]);
    expect(result.exit).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0] ?? '') as LoadResult;
    expect(parsed).toMatchObject({
      kind: 'unary',
      target: greeter.target,
      connections: 2,
      streams: 4,
      errors: {},
    });
    expect(parsed.calls).toBeGreaterThan(0);
    expect(parsed.processes[0]?.cpuMs).toBeGreaterThan(0);
  });

  it('prints a table for a person without --json', async () => {
    const result = await runNode(CLI, ['-t', greeter.target, '-d', '0.3', '-w', '0']);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^kind +unary at 127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^calls +[1-9][\d,]* \(/m);
    expect(result.stdout).toMatch(/^errors +none$/m);
  });

  it('exits 1 after reporting the errors when nothing listens at the target', async () => {
    const result = await runNode(CLI, ['-t', await closedAddress(), '-d', '0.3', '-w', '0', '--json']);
    expect(result.exit).toBe(1);
    expect((JSON.parse(result.stdout) as LoadResult).errors.UNAVAILABLE).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/^grpc-load: \d+ calls failed$/m);
  });

  it('prints its usage with --help', async () => {
    const result = await runNode(CLI, ['--help']);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Usage: grpc-load \[options\]/);
    expect(result.stdout).toContain('--server-pid');
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [
      ['--kind', 'sideways'],
      /--kind must be one of unary, get-stream, put-stream, all-stream, got "sideways"/,
    ],
    [['--connections', '0'], /--connections must be at least 1, got "0"/],
    [['--streams', 'many'], /--streams must be a non-negative integer, got "many"/],
    [['--duration', '10 parsecs'], /--duration must be a number of seconds, got "10 parsecs"/],
    [['--duration', '0'], /--duration must be a number of seconds, got "0"/],
    [['--target'], /argument missing/],
  ])('exits 2 with a usage error for %j', async (args, message) => {
    const result = await runNode(CLI, args);
    expect(result.exit).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Run 'grpc-load --help' for usage.");
  });
});
