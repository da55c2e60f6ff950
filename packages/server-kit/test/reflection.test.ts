import { GreeterService, StreamServiceService } from '@repo/proto';
import { ReflectionClient } from '@repo/test-kit';
import type { IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter, createTestStreamService } from './support/test-services';

const VERSIONS = ['v1', 'v1alpha'] as const;

let running: TestServer | undefined;
let reflection: ReflectionClient | undefined;

afterEach(async () => {
  reflection?.close();
  await running?.server.shutdown(500);
  reflection = undefined;
  running = undefined;
});

async function reflectGreeterServer(version: (typeof VERSIONS)[number]): Promise<ReflectionClient> {
  running = await startServer([{ definition: GreeterService, implementation: createTestGreeter() }]);
  reflection = new ReflectionClient(running.target, version);
  return reflection;
}

function serviceNamed(files: IFileDescriptorProto[], pkg: string, name: string) {
  return files.find((file) => file.package === pkg)?.service?.find((service) => service.name === name);
}

describe.each(VERSIONS)('server reflection %s', (version) => {
  it('lists exactly the served service and grpc.health.v1.Health', async () => {
    const client = await reflectGreeterServer(version);

    expect(await client.listServices()).toEqual(['grpc.health.v1.Health', 'helloworld.Greeter']);
  });

  it('lists every service of a server that serves two', async () => {
    running = await startServer([
      { definition: GreeterService, implementation: createTestGreeter() },
      { definition: StreamServiceService, implementation: createTestStreamService() },
    ]);
    reflection = new ReflectionClient(running.target, version);

    expect(await reflection.listServices()).toEqual([
      'grpc.health.v1.Health',
      'helloworld.Greeter',
      'stream.v1.StreamService',
    ]);
  });

  it('describes helloworld.Greeter: SayHello takes a HelloRequest and returns a HelloReply', async () => {
    const client = await reflectGreeterServer(version);

    const files = await client.fileContainingSymbol('helloworld.Greeter');

    const greeter = serviceNamed(files, 'helloworld', 'Greeter');
    expect(greeter?.method).toEqual([
      expect.objectContaining({
        name: 'SayHello',
        inputType: '.helloworld.HelloRequest',
        outputType: '.helloworld.HelloReply',
      }),
    ]);
    const messages = files
      .find((file) => file.package === 'helloworld')
      ?.messageType?.map(({ name }) => name);
    expect(messages).toEqual(expect.arrayContaining(['HelloRequest', 'HelloReply']));
  });

  it('describes grpc.health.v1.Health, so that tools can call Check', async () => {
    const client = await reflectGreeterServer(version);

    const health = serviceNamed(
      await client.fileContainingSymbol('grpc.health.v1.Health'),
      'grpc.health.v1',
      'Health',
    );

    expect(health?.method?.map(({ name }) => name)).toEqual(expect.arrayContaining(['Check', 'Watch']));
  });

  it('answers NOT_FOUND for a symbol it does not know', async () => {
    const client = await reflectGreeterServer(version);

    await expect(client.fileContainingSymbol('helloworld.Nope')).rejects.toThrow(
      '5: Symbol not found: helloworld.Nope',
    );
  });
});
