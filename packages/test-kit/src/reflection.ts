import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { FileDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';

type ReflectionVersion = 'v1' | 'v1alpha';

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** The reflection protos that @grpc/reflection ships. */
function reflectionProto(version: ReflectionVersion): string {
  const root = dirname(require.resolve('@grpc/reflection/package.json'));
  return join(root, 'build', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
}

/**
 * A minimal server reflection client, as grpcurl uses it: one ServerReflectionInfo stream per
 * question. For tests of what a server describes about itself.
 */
export class ReflectionClient {
  private readonly stub: {
    ServerReflectionInfo(): NodeJS.ReadWriteStream & { end(): void; cancel(): void };
    close(): void;
  };

  constructor(target: string, version: ReflectionVersion = 'v1') {
    const definition = loadPackageDefinition(loadSync(reflectionProto(version), { keepCase: false }));
    const reflection = (
      definition.grpc as Record<string, Record<string, Record<string, new (...args: unknown[]) => unknown>>>
    ).reflection?.[version]?.ServerReflection;
    if (!reflection) throw new Error(`no ServerReflection in the ${version} proto`);
    this.stub = new reflection(target, credentials.createInsecure()) as ReflectionClient['stub'];
  }

  /** The fully-qualified names of the services the server lists. */
  async listServices(): Promise<string[]> {
    const response = await this.ask({ listServices: '' });
    return (response.listServicesResponse?.service ?? []).map(({ name }) => name).sort();
  }

  /** The descriptors of the file that defines `symbol` and of its dependencies. */
  async fileContainingSymbol(symbol: string): Promise<IFileDescriptorProto[]> {
    const response = await this.ask({ fileContainingSymbol: symbol });
    if (response.errorResponse) throw new Error(response.errorResponse.errorMessage);
    return (response.fileDescriptorResponse?.fileDescriptorProto ?? []).map(
      (bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto,
    );
  }

  close(): void {
    this.stub.close();
  }

  private ask(request: Record<string, string>): Promise<ReflectionResponse> {
    return new Promise((resolve, reject) => {
      const call = this.stub.ServerReflectionInfo();
      call.once('data', (response: ReflectionResponse) => {
        resolve(response);
        call.end();
      });
      call.once('error', reject);
      call.write(request as never);
    });
  }
}
