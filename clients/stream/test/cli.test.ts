import { invalidArgument, violation } from '@repo/server-kit';
import { closedAddress } from '@repo/test-kit';
import { runCli } from './support/cli';
import { TestStreamServer } from './support/test-stream-server';

let server: TestStreamServer;

beforeEach(async () => {
  server = await TestStreamServer.start();
});

afterEach(async () => {
  await server.stop();
});

const lines = (text: string) => text.split('\n');

describe('stream CLI: get', () => {
  it('prints each message as it arrives, then the total, and exits 0', async () => {
    const result = await runCli(['get', 'hi', 'there', '-c', '3', '-i', '0', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual([
      '#1 hi there',
      '#2 hi there',
      '#3 hi there',
      expect.stringMatching(/^received 3 messages in \d+\.\d\d s$/),
      '',
    ]);
    expect(server.call.received).toEqual([{ text: 'hi there', count: 3, intervalMs: 0, payloadBytes: 0 }]);
  });

  it('calls $STREAM_ADDR when no --target is given', async () => {
    const result = await runCli(['get', 'env', '-c', '1', '-i', '0'], {
      env: { STREAM_ADDR: server.target },
    });
    expect(result.exit).toBe(0);
    expect(lines(result.stdout)[0]).toBe('#1 env');
  });

  it('asks for five messages of "hello" 200 ms apart by default', async () => {
    // Only the request matters here: answer with no messages at once.
    server.getStream = async (call) => {
      call.end();
    };
    const result = await runCli(['get', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(server.call.received).toEqual([{ text: 'hello', count: 5, intervalMs: 200, payloadBytes: 0 }]);
  });

  it('prints one JSON object per message with --json, and no total', async () => {
    const result = await runCli([
      'get',
      'x',
      '--count',
      '2',
      '--interval-ms',
      '0',
      '--payload-bytes',
      '7',
      '--json',
      '--target',
      server.target,
    ]);
    expect(result.exit).toBe(0);
    expect(lines(result.stdout.trim()).map((line) => JSON.parse(line))).toEqual([
      { index: 1, text: 'x', payloadBytes: 7 },
      { index: 2, text: 'x', payloadBytes: 7 },
    ]);
  });

  it("exits 1 with the server's status on one stderr line, then its error details", async () => {
    const result = await runCli(['get', 'x', '--count', '0', '--target', server.target]);
    expect(result).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        'stream: INVALID_ARGUMENT: count must be at least 1, got 0\n' +
        '  count: must be at least 1, got 0\n' +
        '  reason: COUNT_OUT_OF_RANGE\n',
    });
  });

  it('exits 1 with DEADLINE_EXCEEDED after what arrived in time', async () => {
    const result = await runCli([
      'get',
      'x',
      '-c',
      '3',
      '-i',
      '10000',
      '--timeout-ms',
      '300',
      '--target',
      server.target,
    ]);
    expect(result.exit).toBe(1);
    expect(result.stdout).toBe('#1 x\n');
    expect(result.stderr).toMatch(/^stream: DEADLINE_EXCEEDED: Deadline exceeded[^\n]*\n$/);
  });

  it('sends --request-id as x-request-id', async () => {
    const result = await runCli(['get', '-c', '1', '--request-id', 'cli-get', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(server.call.metadata.get('x-request-id')).toEqual(['cli-get']);
  });
});

describe('stream CLI: put', () => {
  it("sends each text and prints the server's summary", async () => {
    const result = await runCli(['put', 'alpha', 'beta', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^sent 2 messages \(9 bytes\) in \d+\.\d\d s: alpha, beta\n$/);
    expect(server.call.received).toEqual([{ text: 'alpha' }, { text: 'beta' }]);
  });

  it('sends each line of stdin with "-"', async () => {
    const result = await runCli(['put', '-', '--target', server.target], { input: 'one\ntwo\r\nthree\n' });
    expect(result.exit).toBe(0);
    expect(server.call.received).toEqual([{ text: 'one' }, { text: 'two' }, { text: 'three' }]);
  });

  it('sends --count generated messages', async () => {
    const result = await runCli(['put', '--count', '3', '--json', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      count: 3,
      bytes: 27,
      preview: 'message 1, message 2, message 3',
    });
  });

  it("exits 1 with the server's status and its error details when it rejects the upload", async () => {
    server.putStream = async (_call, callback) => {
      callback(invalidArgument(violation('text', 'must not be rude', 'RUDE'), 1));
    };
    const result = await runCli(['put', 'rude', '--target', server.target]);
    expect(result).toEqual({
      exit: 1,
      stdout: '',
      stderr:
        'stream: INVALID_ARGUMENT: message 1: text must not be rude\n' +
        '  text: must not be rude\n' +
        '  reason: TEXT_RUDE (message: 1)\n',
    });
  });

  it('exits 2 without texts, "-" or --count', async () => {
    const result = await runCli(['put', '--target', server.target]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `stream: put needs texts to send, "-" to read stdin, or --count\nRun 'stream --help' for usage.\n`,
    });
    expect(server.calls).toEqual([]);
  });

  it('exits 2 with both texts and --count', async () => {
    const result = await runCli(['put', 'a', '--count', '2', '--target', server.target]);
    expect(result.exit).toBe(2);
    expect(result.stderr).toBe(
      `stream: put takes either texts or --count, not both\nRun 'stream --help' for usage.\n`,
    );
    expect(server.calls).toEqual([]);
  });
});

describe('stream CLI: all', () => {
  it('prints each greeting with the greeter that served it', async () => {
    const result = await runCli(['all', 'Ada', 'Grace', '--target', server.target]);
    expect(result).toEqual({
      exit: 0,
      stdout: 'Hello Ada  (greeter test-server)\nHello Grace  (greeter test-server)\n',
      stderr: '',
    });
  });

  it('prints just the greeting when the server names no greeter', async () => {
    server.allStream = async (call) => {
      for await (const { name } of call.iterator({ destroyOnReturn: false }) as AsyncIterable<{
        name: string;
      }>) {
        call.write({ message: `Hello ${name}`, servedBy: '' });
      }
      call.end();
    };
    const result = await runCli(['all', 'Ada', '--target', server.target]);
    expect(result).toEqual({ exit: 0, stdout: 'Hello Ada\n', stderr: '' });
  });

  it('greets world when no name is given', async () => {
    const result = await runCli(['all', '--json', '--target', server.target]);
    expect(result.exit).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello world', servedBy: 'test-server' });
  });

  it("exits 1 with the server's status after the greetings that came before it", async () => {
    const result = await runCli(['all', 'Ada', '', '--target', server.target]);
    expect(result).toEqual({
      exit: 1,
      stdout: 'Hello Ada  (greeter test-server)\n',
      stderr:
        'stream: INVALID_ARGUMENT: name must not be empty\n  name: must not be empty\n  reason: NAME_EMPTY\n',
    });
  });
});

describe('stream CLI', () => {
  it('exits 1 with one line naming the address when nothing listens there', async () => {
    const address = await closedAddress();
    const result = await runCli(['get', '--target', address]);
    expect(result.exit).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`stream: cannot reach ${address}: connection refused\n`);
  });

  it('gives a stream no deadline unless --timeout-ms sets one', async () => {
    const deadlines: number[] = [];
    server.getStream = async (call) => {
      const deadline = call.getDeadline();
      deadlines.push(deadline instanceof Date ? deadline.getTime() : deadline);
      call.end();
    };
    expect((await runCli(['get', '--target', server.target])).exit).toBe(0);
    const asked = Date.now();
    expect((await runCli(['get', '--timeout-ms', '60000', '--target', server.target])).exit).toBe(0);

    expect(deadlines[0]).toBe(Number.POSITIVE_INFINITY);
    expect(deadlines[1]).toBeGreaterThan(asked + 50_000);
  });

  it('prints the usage and exits 0 with --help or without a command', async () => {
    for (const args of [['--help'], ['help'], []]) {
      const result = await runCli(args);
      expect(result.exit).toBe(0);
      expect(result.stdout).toMatch(/^Usage: stream <command> \[arguments\] \[options\]\n/);
      expect(result.stdout).toContain('(default: $STREAM_ADDR or localhost:50052)');
      expect(result.stderr).toBe('');
    }
  });

  it('exits 2 with a hint for an unknown command', async () => {
    const result = await runCli(['fetch', '--target', server.target]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `stream: unknown command "fetch"\nRun 'stream --help' for usage.\n`,
    });
  });

  it('exits 2 naming the flag for a malformed number', async () => {
    const result = await runCli(['get', '--count', 'lots', '--target', server.target]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `stream: --count must be a non-negative integer, got "lots"\nRun 'stream --help' for usage.\n`,
    });
    expect(server.calls).toEqual([]);
  });

  it('exits 2 for an unknown option', async () => {
    const result = await runCli(['get', '--colour', 'red', '--target', server.target]);
    expect(result.exit).toBe(2);
    expect(result.stderr).toMatch(
      /^stream: Unknown option '--colour'[^\n]*\nRun 'stream --help' for usage\.\n$/,
    );
  });
});
