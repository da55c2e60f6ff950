import { dirname, join } from 'node:path';
import { generatePythonStubs } from '@repo/test-kit';

// Python's grpcio against the Greeter: the clients and server here, and their stubs.
// generatePythonStubs, python() and PYTHON are @repo/test-kit's (python-stubs.ts).
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
export const CLIENT = join(__dirname, 'greeter_client.py');
export const SERVER = join(__dirname, 'greeter_server.py');

/** The Python stubs of helloworld.proto (and google/rpc's, and details.py) in a new temporary directory. */
export function generateStubs(): Promise<string> {
  return generatePythonStubs({ protoPath: join(PROTOS, 'helloworld'), protos: ['helloworld.proto'] });
}
