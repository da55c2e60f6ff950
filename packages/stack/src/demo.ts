import { describeError } from '@repo/client-kit';
import { Greeter } from '@repo/greeter-client';
import { StreamClient } from '@repo/stream-client';

export interface DemoTargets {
  greeter: string;
  stream: string;
  /** host:port of the gateway (Connect, gRPC-Web, gRPC over HTTP); unset: no step through it. */
  gateway?: string;
}

type Print = (line: string) => void;

interface Step {
  title: string;
  run(print: Print): Promise<void>;
}

/** One call of every kind, through the client libraries, the way a program would make them. */
function steps(greeter: Greeter, stream: StreamClient, gateway: string | undefined): Step[] {
  const callOptions = { timeoutMs: 10_000 };
  return [
    {
      title: 'unary: helloworld.Greeter/SayHello',
      async run(print) {
        const { message, servedBy } = await greeter.sayHello('world', callOptions);
        print(`${message}  (served by ${servedBy})`);
      },
    },
    {
      title: 'server streaming: stream.v1.StreamService/GetStream',
      async run(print) {
        for await (const { index, text } of stream.getStream(
          { text: 'tick', count: 3, intervalMs: 100 },
          callOptions,
        )) {
          print(`#${index} ${text}`);
        }
      },
    },
    {
      title: 'client streaming: stream.v1.StreamService/PutStream',
      async run(print) {
        const { count, bytes, preview } = await stream.putStream(
          ['alpha', 'beta', 'gamma', 'delta', 'epsilon'],
          callOptions,
        );
        print(`the server received ${count} messages, ${bytes} bytes: ${preview}`);
      },
    },
    {
      title: 'bidirectional, stream -> greeter: stream.v1.StreamService/AllStream',
      async run(print) {
        for await (const { message, servedBy } of stream.allStream(['Ada', 'Grace', 'Linus'], callOptions)) {
          print(`${message}  (from greeter ${servedBy})`);
        }
      },
    },
    ...(gateway ? [gatewayStep(gateway)] : []),
  ];
}

/** What `curl -d '{"name":"Ada"}' -H 'content-type: application/json' <gateway>/helloworld.Greeter/SayHello` does. */
function gatewayStep(gateway: string): Step {
  return {
    title: 'Connect JSON over HTTP, through the gateway: POST /helloworld.Greeter/SayHello',
    async run(print) {
      const response = await fetch(`http://${gateway}/helloworld.Greeter/SayHello`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada' }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}`);
      print(`${body.trim()}  (served by ${response.headers.get('x-served-by') ?? '?'})`);
      print(`the page: http://${gateway}/`);
    },
  };
}

/** Runs every step, printing as it goes; resolves with whether all of them succeeded. */
export async function runDemo(targets: DemoTargets, print: Print): Promise<boolean> {
  const greeter = new Greeter({ target: targets.greeter });
  const stream = new StreamClient({ target: targets.stream });
  let ok = true;
  try {
    for (const step of steps(greeter, stream, targets.gateway)) {
      print(`\n▶ ${step.title}`);
      try {
        await step.run((line) => print(`  ${line}`));
        print('  ✓ ok');
      } catch (err: unknown) {
        ok = false;
        print(`  ✗ ${describeError(err)}`);
      }
    }
  } finally {
    greeter.close();
    stream.close();
  }
  return ok;
}
