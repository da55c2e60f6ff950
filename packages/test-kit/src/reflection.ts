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

interface ReflectionGrpcClient {
  ServerReflectionInfo(options: { deadline: Date }): NodeJS.ReadWriteStream & { end(): void };
  close(): void;
}

function reflectionProto(version: ReflectionVersion): string {
  const root = dirname(require.resolve('@grpc/reflection/package.json'));
  return join(root, 'build', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
}

/** A minimal server reflection client, as grpcurl uses it: one stream per question. */
export class ReflectionClient {
  private readonly grpc: ReflectionGrpcClient;

  constructor(target: string, version: ReflectionVersion = 'v1') {
    const definition = loadPackageDefinition(loadSync(reflectionProto(version)));
    const reflection = (
      definition.grpc as Record<string, Record<string, Record<string, new (...args: unknown[]) => unknown>>>
    ).reflection?.[version]?.ServerReflection;
    if (!reflection) throw new Error(`no ServerReflection in the ${version} proto`);
    this.grpc = new reflection(target, credentials.createInsecure()) as ReflectionGrpcClient;
  }

  /** The fully-qualified names of the services the server lists, sorted. */
  async listServices(): Promise<string[]> {
    const response = await this.ask({ listServices: '' });
    return (response.listServicesResponse?.service ?? []).map(({ name }) => name).sort();
  }

  /** The descriptors of the file that defines `symbol` and of its dependencies. */
  async fileContainingSymbol(symbol: string): Promise<IFileDescriptorProto[]> {
    const response = await this.ask({ fileContainingSymbol: symbol });
    if (response.errorResponse) {
      throw new Error(`${response.errorResponse.errorCode}: ${response.errorResponse.errorMessage}`);
    }
    return (response.fileDescriptorResponse?.fileDescriptorProto ?? []).map(
      (bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto,
    );
  }

  close(): void {
    this.grpc.close();
  }

  private ask(request: Record<string, string>): Promise<ReflectionResponse> {
    return new Promise((resolve, reject) => {
      const call = this.grpc.ServerReflectionInfo({ deadline: new Date(Date.now() + 5_000) });
      call.once('data', (response: ReflectionResponse) => {
        resolve(response);
        call.end();
      });
      // 'on', not 'once': an error after the answer must not go unhandled.
      call.on('error', reject);
      call.write(request as never);
    });
  }
}
