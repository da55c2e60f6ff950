import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { python, type ServiceProcess, spawnService } from '@repo/test-kit';
import { CLIENT, generateHelloworldCode } from './support';

describe('a Python grpcio helloworld client', () => {
  let pyDir: string;
  let greeter: ServiceProcess;

  beforeAll(async () => {
    pyDir = await generateHelloworldCode();
    greeter = await spawnService(join(__dirname, '..', 'dist', 'main.js'));
  });

  afterAll(async () => {
    await greeter?.stop();
    rmSync(pyDir, { recursive: true, force: true });
  });

  it('gets "Hello <name>" from our Greeter', async () => {
    await expect(python(CLIENT, pyDir, greeter.target, 'you')).resolves.toEqual({
      code: 0,
      stdout: 'Hello you\n',
    });
  });

  it('gets INVALID_ARGUMENT, our message, and the error details from grpc-status-details-bin for an empty name', async () => {
    await expect(python(CLIENT, pyDir, greeter.target, '')).resolves.toEqual({
      code: 1,
      stdout: [
        'error INVALID_ARGUMENT name must not be empty',
        // The google.rpc.Status: the same code (3) and message, then each detail it packs.
        'status 3 name must not be empty',
        'reason NAME_EMPTY helloworld.Greeter',
        'field name: must not be empty',
        '',
      ].join('\n'),
    });
  });

  it('reads NAME_TOO_LONG and the field for a name over 256 characters', async () => {
    const { code, stdout } = await python(CLIENT, pyDir, greeter.target, 'x'.repeat(257));
    expect(code).toBe(1);
    expect(stdout.split('\n').slice(2, 4)).toEqual([
      'reason NAME_TOO_LONG helloworld.Greeter',
      'field name: must be at most 256 characters, got 257',
    ]);
  });
});
