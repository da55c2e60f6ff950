import { runNode } from '@repo/runner';
import { type RunningService, startServices, stopServices } from '../src/processes';
import { SERVICES } from '../src/services';

const GREETER_CLI = require.resolve('@repo/greeter-client/cli');
const STREAM_CLI = require.resolve('@repo/stream-client/cli');

describe('the CLIs against the running stack', () => {
  let running: RunningService[];
  const target = (name: string) => running.find((service) => service.name === name)?.address ?? '';

  beforeAll(async () => {
    const ports = new Map(SERVICES.map(({ name }) => [name, 0]));
    running = await startServices(SERVICES, { ports, metricsPorts: ports, onLine: () => {} });
  });

  afterAll(async () => {
    await stopServices(running);
  });

  it('greets with the greeter CLI and names the instance that answered', async () => {
    const greeterPid = running.find((service) => service.name === 'greeter')?.process.child.pid;

    const { exit, stdout } = await runNode(GREETER_CLI, [
      'hello',
      'Ada',
      'Grace',
      '--target',
      target('greeter'),
    ]);

    expect(exit).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^Hello Ada {2}\\(served by .+/${greeterPid}, [\\d.]+ ms\\)\\nHello Grace `),
    );
  });

  it('prints a GetStream message by message', async () => {
    const { exit, stdout } = await runNode(STREAM_CLI, [
      'get',
      'ping',
      '-c',
      '3',
      '-i',
      '10',
      '-t',
      target('stream'),
    ]);

    expect(exit).toBe(0);
    expect(stdout).toMatch(/^#1 ping\n#2 ping\n#3 ping\nreceived 3 messages in [\d.]+ s\n$/);
  });

  it('sends a PutStream from arguments and prints the summary', async () => {
    const { exit, stdout } = await runNode(STREAM_CLI, [
      'put',
      'one',
      'two',
      'three',
      '-t',
      target('stream'),
    ]);

    expect(exit).toBe(0);
    expect(stdout).toMatch(/^sent 3 messages \(11 bytes\) in [\d.]+ s: one, two, three\n$/);
  });

  it('greets every name of an AllStream through the greeter, as JSON on request', async () => {
    const { exit, stdout } = await runNode(STREAM_CLI, [
      'all',
      'Ada',
      'Linus',
      '--json',
      '-t',
      target('stream'),
    ]);

    expect(exit).toBe(0);
    const replies = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string; servedBy: string });
    expect(replies.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Linus']);
    const greeterPid = running.find((service) => service.name === 'greeter')?.process.child.pid;
    expect(replies.every(({ servedBy }) => servedBy.endsWith(`/${greeterPid}`))).toBe(true);
  });

  it('fails with one clear line, then the error details, and exit code 1 when the server rejects the request', async () => {
    const { exit, stdout, stderr } = await runNode(GREETER_CLI, ['hello', '', '--target', target('greeter')]);

    expect(exit).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'greeter: INVALID_ARGUMENT: name must not be empty\n  name: must not be empty\n  reason: NAME_EMPTY\n',
    );
  });

  it('prints the field, the reason and the message position of a stream the server rejects', async () => {
    const tooLong = 'x'.repeat(257);
    const { exit, stderr } = await runNode(STREAM_CLI, ['all', 'Ada', tooLong, '-t', target('stream')]);

    expect(exit).toBe(1);
    expect(stderr).toBe(
      'stream: INVALID_ARGUMENT: message 2: name must be at most 256 characters, got 257\n' +
        '  name: must be at most 256 characters, got 257\n' +
        '  reason: NAME_TOO_LONG (message: 2)\n',
    );
  });
});
