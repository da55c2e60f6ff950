import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type ServiceProcess, spawnService } from '@repo/test-kit';

// Interop with another gRPC implementation: Python's grpcio (gRPC's C core), from Debian's
// python3-grpcio and python3-grpc-tools. Run by `pnpm test:interop` (CI installs both); kept
// out of `pnpm test`, which needs nothing but Node.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
const CLIENT = join(__dirname, 'greeter_client.py');

const run = promisify(execFile);

async function python(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(PYTHON, args, { timeout: 20_000 });
    return { code: 0, stdout };
  } catch (err: unknown) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('a Python grpcio helloworld client', () => {
  let stubs: string;
  let greeter: ServiceProcess;

  beforeAll(async () => {
    stubs = mkdtempSync(join(tmpdir(), 'helloworld-py-'));
    const generated = await python(
      '-m',
      'grpc_tools.protoc',
      `--proto_path=${join(PROTOS, 'helloworld')}`,
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      'helloworld.proto',
    );
    expect(generated).toEqual({ code: 0, stdout: '' });
    greeter = await spawnService(join(__dirname, '..', 'dist', 'main.js'));
  });

  afterAll(async () => {
    await greeter?.stop();
    rmSync(stubs, { recursive: true, force: true });
  });

  it('gets "Hello <name>" from our Greeter', async () => {
    await expect(python(CLIENT, stubs, greeter.target, 'you')).resolves.toEqual({
      code: 0,
      stdout: 'Hello you\n',
    });
  });

  it('gets INVALID_ARGUMENT and our message for an empty name', async () => {
    await expect(python(CLIENT, stubs, greeter.target, '')).resolves.toEqual({
      code: 1,
      stdout: 'error INVALID_ARGUMENT name must not be empty\n',
    });
  });
});
