import { createFileRegistry, type DescService, fromBinary, type JsonValue, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import descriptorSet from '@repo/proto/descriptor-set.binpb';
import errorModel from '@repo/proto/google-rpc.binpb';

// The services, and google.rpc's error details, as the descriptor sets describe them: ts-proto
// stays the only generated code. Two FileDescriptorSets one after the other are one, their
// files joined.
const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, new Uint8Array([...descriptorSet, ...errorModel])),
);

function service(typeName: string): DescService {
  const found = registry.getService(typeName);
  if (!found) throw new Error(`no service ${typeName}`);
  return found;
}

interface Greeter {
  sayHello(
    request: { name: string },
    options: { onHeader?: (headers: Headers) => void },
  ): Promise<{ message: string }>;
}

interface StreamService {
  getStream(request: {
    text: string;
    count: number;
    intervalMs: number;
  }): AsyncIterable<{ index: number; text: string }>;
}

// The page is served by the gateway: same origin, no CORS.
const transport = createConnectTransport({ baseUrl: window.location.origin });
const greeter = createClient(service('helloworld.Greeter'), transport) as unknown as Greeter;
const stream = createClient(service('stream.v1.StreamService'), transport) as unknown as StreamService;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`no #${id}`);
  return element as T;
}

/** An error as text: Connect's code and message, then each detail, as JSON when its type is known. */
function describe(err: unknown): string {
  const error = ConnectError.from(err);
  const lines = [`${error.code} ${codeName(error)}: ${error.rawMessage}`];
  for (const detail of error.details) {
    if ('desc' in detail) continue;
    const desc = registry.getMessage(detail.type);
    const json: JsonValue | undefined = desc ? toJson(desc, fromBinary(desc, detail.value)) : detail.debug;
    lines.push(
      json === undefined
        ? `detail ${detail.type} (${detail.value.length} bytes)`
        : `detail ${detail.type} ${JSON.stringify(json)}`,
    );
  }
  return lines.join('\n');
}

function codeName(error: ConnectError): string {
  return /^\[([^\]]+)\]/.exec(error.message)?.[1] ?? '';
}

byId<HTMLFormElement>('greet-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const out = byId('greeting');
  out.className = '';
  out.dataset.state = 'pending';
  out.textContent = '…';
  let servedBy = '';
  greeter
    .sayHello(
      { name: byId<HTMLInputElement>('name').value },
      { onHeader: (h) => (servedBy = h.get('x-served-by') ?? '') },
    )
    .then(
      (reply) => {
        out.dataset.state = 'ok';
        out.textContent = `${reply.message} (served by ${servedBy || 'an unknown replica'})`;
      },
      (err: unknown) => {
        out.dataset.state = 'error';
        out.className = 'error';
        out.textContent = describe(err);
      },
    );
});

byId<HTMLFormElement>('ticks-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const list = byId('ticks');
  const status = byId('ticks-status');
  list.replaceChildren();
  status.className = '';
  status.textContent = 'streaming…';
  const started = performance.now();
  void (async () => {
    try {
      for await (const tick of stream.getStream({
        text: 'tick',
        count: Number(byId<HTMLInputElement>('count').value),
        intervalMs: Number(byId<HTMLInputElement>('interval').value),
      })) {
        const item = document.createElement('li');
        item.dataset.ms = String(Math.round(performance.now() - started));
        item.textContent = `#${tick.index} ${tick.text} at +${item.dataset.ms} ms`;
        list.append(item);
      }
      status.textContent = 'done';
    } catch (err: unknown) {
      status.className = 'error';
      status.textContent = describe(err);
    }
  })();
});
