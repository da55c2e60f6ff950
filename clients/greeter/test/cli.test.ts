import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { GreeterService, type HelloReply, type HelloRequest } from '@repo/proto';
import { INSTANCE, invalidArgument, violation } from '@repo/server-kit';
import { closedAddress, FaultRelay, textOfWords } from '@repo/test-kit';
import { runCli } from './support/cli';
import { TestGreeter } from './support/test-greeter';

let server: TestGreeter;

beforeEach(async () => {
  server = await TestGreeter.start();
});

afterEach(async () => {
  await server.stop();
});

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('greeter CLI', () => {
  it('prints the greeting and the instance that served it, and exits 0', async () => {
    const result = await runCli(['hello', 'Ada', '--target', server.target]);
    expect(result.stdout).toMatch(
      new RegExp(`^Hello Ada  \\(served by ${escaped(INSTANCE)}, \\d+\\.\\d ms\\)\\n$`),
    );
    expect(result.stderr).toBe('');
    expect(result.exit).toBe(0);
  });

  it('greets every name, each --repeat times, in order', async () => {
    const result = await runCli(['hello', 'Ada', 'Grace', '-n', '2', '-t', server.target]);
    expect(result.exit).toBe(0);
    expect(result.stdout.split('\n').map((line) => line.split('  ')[0])).toEqual([
      'Hello Ada',
      'Hello Ada',
      'Hello Grace',
      'Hello Grace',
      '',
    ]);
  });

  it('calls $GREETER_ADDR when no --target is given', async () => {
    const result = await runCli(['hello', 'Env'], { env: { GREETER_ADDR: server.target } });
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Hello Env {2}\(served by /);
  });

  it('greets world when no name is given', async () => {
    const result = await runCli(['hello', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Hello world {2}\(served by /);
  });

  it('prints one JSON object per reply with --json', async () => {
    const result = await runCli(['hello', 'Ada', '--json', '--target', server.target]);
    expect(result.exit).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      message: 'Hello Ada',
      servedBy: INSTANCE,
      ms: expect.any(Number),
    });
  });

  it('sends --request-id as x-request-id', async () => {
    const result = await runCli(['hello', 'Ada', '--request-id', 'cli-7', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(server.calls[0]?.metadata['x-request-id']).toEqual(['cli-7']);
  });

  it("exits 1 with the server's status on one stderr line, then its error details, when the call fails", async () => {
    server.behaviour = (_call, callback) =>
      callback(invalidArgument(violation('name', 'must not be empty', 'EMPTY')));
    const result = await runCli(['hello', '', '--target', server.target]);
    expect(result).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        'greeter: INVALID_ARGUMENT: name must not be empty\n  name: must not be empty\n  reason: NAME_EMPTY\n',
    });
  });

  it('exits 1 with DEADLINE_EXCEEDED when the server is slower than --timeout-ms', async () => {
    server.behaviour = () => {};
    const result = await runCli(['hello', 'Ada', '--timeout-ms', '200', '--target', server.target]);
    expect(result.exit).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^greeter: DEADLINE_EXCEEDED: Deadline exceeded[^\n]*\n$/);
  });

  it('exits 1 with one line naming the address when nothing listens there', async () => {
    const address = await closedAddress();
    const result = await runCli(['hello', 'Ada', '--target', address]);
    expect(result.exit).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`greeter: cannot reach ${address}: connection refused\n`);
  });

  it("names no instance for a server that sends no x-served-by, as other languages' greeters", async () => {
    // A plain grpc-js server, without the kit: what grpc-go's stock greeter answers.
    const bare = new Server();
    bare.addService(GreeterService, {
      sayHello: (call: ServerUnaryCall<HelloRequest, HelloReply>, callback: sendUnaryData<HelloReply>) =>
        callback(null, { message: `Hello ${call.request.name}` }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      bare.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    try {
      const result = await runCli(['hello', 'Ada', '--target', `127.0.0.1:${port}`]);
      expect(result.exit).toBe(0);
      expect(result.stdout).toMatch(/^Hello Ada {2}\(\d+\.\d ms\)\n$/);
    } finally {
      bare.forceShutdown();
    }
  });

  it('compresses its request with --compress gzip, or GRPC_COMPRESSION=gzip', async () => {
    // A 32 KiB name of prose, which gzip shrinks to about a third.
    const name = textOfWords(32 * 1024);
    /** The bytes the CLI sent through a relay of its own. */
    async function sent(args: string[], env: Record<string, string> = {}) {
      const relay = await FaultRelay.start(server.target);
      try {
        const result = await runCli(['hello', name, '--target', relay.target, ...args], { env });
        expect(result.exit).toBe(0);
        expect(result.stdout.startsWith(`Hello ${name}  (served by `)).toBe(true);
        return relay.bytesToTarget;
      } finally {
        await relay.close();
      }
    }

    const plain = await sent([], { GRPC_COMPRESSION: '' });
    expect(await sent(['--compress', 'gzip'])).toBeLessThan(0.5 * plain);
    expect(await sent([], { GRPC_COMPRESSION: 'gzip' })).toBeLessThan(0.5 * plain);
    expect(server.calls.map(({ request }) => request.name)).toEqual([name, name, name]);
  });

  it('exits 2 naming the flag or the variable for an encoding grpc-js cannot send', async () => {
    expect(await runCli(['hello', '--compress', 'br', '--target', server.target])).toEqual({
      exit: 2,
      stdout: '',
      stderr: `greeter: --compress must be one of identity, deflate, gzip, got "br"\nRun 'greeter --help' for usage.\n`,
    });
    const fromEnv = await runCli(['hello', '--target', server.target], { env: { GRPC_COMPRESSION: 'zstd' } });
    expect(fromEnv.exit).toBe(2);
    expect(fromEnv.stderr).toMatch(
      /^greeter: GRPC_COMPRESSION must be one of identity, deflate, gzip, got "zstd"\n/,
    );
  });

  it('prints the usage and exits 0 with --help', async () => {
    const result = await runCli(['--help']);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Usage: greeter hello \[name\.\.\.\] \[options\]\n/);
    expect(result.stdout).toContain('--target <target>');
    expect(result.stderr).toBe('');
  });

  it('prints the usage and exits 0 without a command', async () => {
    const result = await runCli([]);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Usage: greeter /);
  });

  it('exits 2 with a hint for an unknown command', async () => {
    const result = await runCli(['bye', '--target', server.target]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `greeter: unknown command "bye"\nRun 'greeter --help' for usage.\n`,
    });
    expect(server.calls).toEqual([]);
  });

  it('exits 2 naming the flag for a malformed number', async () => {
    const result = await runCli(['hello', '--repeat', 'many', '--target', server.target]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `greeter: --repeat must be a non-negative integer, got "many"\nRun 'greeter --help' for usage.\n`,
    });
  });

  it('exits 2 for an unknown option', async () => {
    const result = await runCli(['hello', '--colour', 'red', '--target', server.target]);
    expect(result.exit).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^greeter: Unknown option '--colour'[^\n]*\nRun 'greeter --help' for usage\.\n$/,
    );
  });

  it('exits 2 for a flag without its value', async () => {
    const result = await runCli(['hello', 'Ada', '--target']);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `greeter: Option '-t, --target <value>' argument missing\nRun 'greeter --help' for usage.\n`,
    });
  });
});
