import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '@repo/runner';
import { type ServiceProcess, spawnService } from '@repo/test-kit';

// Interop with another gRPC implementation: Python's grpcio (gRPC's C core), from Debian's
// python3-grpcio and python3-grpc-tools. Run by `pnpm test:interop` (CI installs both); kept
// out of `pnpm test`, which needs nothing but Node.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
const CLIENT = join(__dirname, 'greeter_client.py');

async function python(...args: string[]): Promise<{ code: number | string; stdout: string }> {
  const { exit, stdout, stderr } = await run(PYTHON, args, { timeoutMs: 20_000 });
  return { code: exit, stdout: exit === 0 ? stdout : `${stdout}${stderr}` };
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
