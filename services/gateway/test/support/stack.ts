import { join } from 'node:path';
import { createFileRegistry, type DescService, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type CallOptions, createClient, type Transport } from '@connectrpc/connect';
import { readDescriptorSet } from '@repo/proto';
import { type ServiceProcess, spawnService } from '@repo/test-kit';

export const GATEWAY_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** The greeter, the stream service and the gateway in front of them, each a process of its own. */
export interface Stack {
  greeter: ServiceProcess;
  stream: ServiceProcess;
  gateway: ServiceProcess;
  /** http://127.0.0.1:<gateway port> */
  url: string;
  stop(): Promise<void>;
}

export async function startStack(gatewayEnv: Record<string, string> = {}): Promise<Stack> {
  const greeter = await spawnService(require.resolve('@repo/greeter/main'));
  const stream = await spawnService(require.resolve('@repo/stream/main'), { GREETER_ADDR: greeter.target });
  const gateway = await spawnService(GATEWAY_MAIN, {
    GREETER_ADDR: greeter.target,
    STREAM_ADDR: stream.target,
    ...gatewayEnv,
  });
  return {
    greeter,
    stream,
    gateway,
    url: `http://${gateway.target}`,
    stop: async () => {
      await gateway.stop();
      await stream.stop();
      await greeter.stop();
    },
  };
}

/** The services as protobuf-es describes them from the descriptor set, for Connect's clients. */
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));

function serviceDesc(typeName: string): DescService {
  const service = registry.getService(typeName);
  if (!service) throw new Error(`no service ${typeName}`);
  return service;
}

/** Connect's client of each service, typed by hand: the descriptors are built at run time. */
export interface GreeterConnect {
  sayHello(request: { name: string }, options?: CallOptions): Promise<{ message: string }>;
}

export interface StreamConnect {
  getStream(
    request: { text: string; count: number; intervalMs: number },
    options?: CallOptions,
  ): AsyncIterable<{ index: number; text: string }>;
  putStream(requests: AsyncIterable<{ text: string }>): Promise<{ count: number }>;
  allStream(requests: AsyncIterable<{ name: string }>): AsyncIterable<{ message: string; servedBy: string }>;
}

export function greeterClient(transport: Transport): GreeterConnect {
  return createClient(serviceDesc('helloworld.Greeter'), transport) as unknown as GreeterConnect;
}

export function streamClient(transport: Transport): StreamConnect {
  return createClient(serviceDesc('stream.v1.StreamService'), transport) as unknown as StreamConnect;
}
