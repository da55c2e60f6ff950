import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '@repo/runner';

// Interop with another gRPC implementation: Python's grpcio (gRPC's C core), from Debian's
// python3-grpcio and python3-grpc-tools. Used by the services' `pnpm test:interop` suites (CI
// installs both); kept out of `pnpm test`, which needs nothing but Node.

/** The Python that runs grpc_tools and the clients: `PYTHON`, else Debian's. */
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

// google.rpc's Status and error details, from the same published protos @repo/proto generates from.
const GOOGLE_PROTOS = dirname(require.resolve('google-proto-files/package.json'));

// The clients' shared reader of grpc-status-details-bin. In src/ (not copied to dist/ by tsc,
// found from either), so that a change to it is an input of this package's build, and so of
// every interop task's hash.
const DETAILS_PY = join(__dirname, '..', 'src', 'details.py');

/**
 * Copies google/rpc/status.proto and error_details.proto under `root`. Debian's grpc_tools bundles
 * protoc 3.5.1, which predates proto3 `optional` (error_details.proto has one, QuotaFailure's
 * `optional int64 future_quota_value`): the copy drops that label, which changes only whether
 * the field's presence is tracked, not its wire format.
 */
function copyGoogleRpcProtos(root: string): string {
  mkdirSync(join(root, 'google', 'rpc'), { recursive: true });
  for (const file of ['status.proto', 'error_details.proto']) {
    const text = readFileSync(join(GOOGLE_PROTOS, 'google', 'rpc', file), 'utf8');
    writeFileSync(join(root, 'google', 'rpc', file), text.replace(/^(\s*)optional /gm, '$1'));
  }
  return root;
}

/** Runs `PYTHON <args>` (20 s at most); `stdout` has stderr after it when the exit code is not 0. */
export async function python(...args: string[]): Promise<{ code: number | string; stdout: string }> {
  const { exit, stdout, stderr } = await run(PYTHON, args, { timeoutMs: 20_000 });
  return { code: exit, stdout: exit === 0 ? stdout : `${stdout}${stderr}` };
}

/** What to generate Python code of: `protos`, relative to `protoPath` (as protoc's arguments). */
export interface PythonCodeOptions {
  protoPath: string;
  protos: string[];
}

/**
 * Generates the Python code (`_pb2` and `_pb2_grpc`) of `protos` and of google/rpc's status.proto
 * and error_details.proto into a new temporary directory, copies details.py (`describe_details`,
 * the error details of a failed call, one line each) beside them, and returns the directory: a
 * client puts it first on `sys.path`. The caller removes it.
 */
export async function generatePythonCode({ protoPath, protos }: PythonCodeOptions): Promise<string> {
  const pyDir = mkdtempSync(join(tmpdir(), 'grpc-py-'));
  const googleRpc = copyGoogleRpcProtos(join(pyDir, 'protos'));
  const generated = await python(
    '-m',
    'grpc_tools.protoc',
    `--proto_path=${protoPath}`,
    `--proto_path=${googleRpc}`,
    `--python_out=${pyDir}`,
    `--grpc_python_out=${pyDir}`,
    ...protos,
    'google/rpc/status.proto',
    'google/rpc/error_details.proto',
  );
  if (generated.code !== 0) throw new Error(`grpc_tools.protoc failed: ${generated.stdout}`);
  copyFileSync(DETAILS_PY, join(pyDir, 'details.py'));
  return pyDir;
}
