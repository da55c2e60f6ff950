import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type ClientReadableStream, credentials, Metadata } from '@grpc/grpc-js';
import { GreeterClient, StreamServiceClient } from '@repo/proto';
import { OtlpReceiver } from '@repo/test-kit';
import { type RunningServer, startServer } from './servers';
import { type CallKind, type ChainVerdict, checkChain } from './trace-chains';

// NOT PRODUCT CODE. Run once (`node packages/bench/dist/tracing-approaches.js`, after a build):
// starts the Greeter and the stream service traced each way, makes one call of each kind under a
// caller's span of its own (a W3C traceparent in the request metadata), and checks the parent
// chains the services export to an in-process OTLP receiver (see checkChain). Prints a Markdown
// table for BENCHMARKS.md; exits 1 when the kits' own tracing does not give correct chains.

interface Approach {
  title: string;
  greeter: 'ours-greeter-traced' | 'ours-greeter-otel-grpc';
  stream: 'ours-stream-traced' | 'ours-stream-otel-grpc';
  /** Extra environment of both services. */
  env: Record<string, string>;
}

const APPROACHES: Approach[] = [
  {
    title: 'kits (explicit propagation)',
    greeter: 'ours-greeter-traced',
    stream: 'ours-stream-traced',
    env: {},
  },
  {
    title: 'instrumentation-grpc, `--require` preload',
    greeter: 'ours-greeter-otel-grpc',
    stream: 'ours-stream-otel-grpc',
    env: {},
  },
  {
    title: 'instrumentation-grpc, loaded after grpc-js and @repo/proto',
    greeter: 'ours-greeter-otel-grpc',
    stream: 'ours-stream-otel-grpc',
    env: { NODE_OPTIONS: `--require ${join(__dirname, 'load-grpc-first.js')}` },
  },
];

const NAMES = ['Ada', 'Grace', 'Linus'];
/** Spans leave within 50 ms of ending (default 5 s): the check waits for them, not the load. */
const BSP = { OTEL_BSP_SCHEDULE_DELAY: '50' };

interface Caller {
  traceId: string;
  spanId: string;
  metadata: Metadata;
}

function newCaller(): Caller {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${traceId}-${spanId}-01`);
  return { traceId, spanId, metadata };
}

function drained(call: ClientReadableStream<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    call.on('data', () => {});
    call.on('error', reject);
    call.on('end', resolve);
  });
}

/** One call of each kind, each under its own caller span. */
async function callEachKind(greeterTarget: string, streamTarget: string): Promise<Map<CallKind, Caller>> {
  const greeter = new GreeterClient(greeterTarget, credentials.createInsecure());
  const stream = new StreamServiceClient(streamTarget, credentials.createInsecure());
  const callers = new Map<CallKind, Caller>();
  const caller = (kind: CallKind) => {
    const made = newCaller();
    callers.set(kind, made);
    return made.metadata;
  };
  try {
    await new Promise<void>((resolve, reject) =>
      greeter.sayHello({ name: 'world' }, caller('SayHello'), (err) => (err ? reject(err) : resolve())),
    );
    await drained(
      stream.getStream({ text: 'tick', count: 3, intervalMs: 0, payloadBytes: 0 }, caller('GetStream')),
    );
    await new Promise<void>((resolve, reject) => {
      const put = stream.putStream(caller('PutStream'), (err) => (err ? reject(err) : resolve()));
      put.write({ text: 'a' });
      put.write({ text: 'b' });
      put.end();
    });
    await new Promise<void>((resolve, reject) => {
      const all = stream.allStream(caller('AllStream'));
      all.on('data', () => {});
      all.on('error', reject);
      all.on('end', resolve);
      for (const name of NAMES) all.write({ name });
      all.end();
    });
  } finally {
    greeter.close();
    stream.close();
  }
  return callers;
}

async function check(approach: Approach): Promise<ChainVerdict[]> {
  const receiver = await OtlpReceiver.start();
  const servers: RunningServer[] = [];
  try {
    const options = { otlpEndpoint: receiver.endpoint, env: { ...BSP, ...approach.env } };
    const greeter = await startServer(approach.greeter, options);
    servers.push(greeter);
    const stream = await startServer(approach.stream, {
      ...options,
      env: { ...options.env, GREETER_ADDR: greeter.target },
    });
    servers.push(stream);
    const callers = await callEachKind(greeter.target, stream.target);
    const expected = 1 + 1 + 1 + 1 + 2 * NAMES.length;
    const inCalls = () =>
      receiver.spans.filter((span) => [...callers.values()].some((c) => c.traceId === span.traceId));
    await receiver.waitFor(() => inCalls().length >= expected, 5_000).catch(() => {});
    // Spans beyond the expected ones (a second CLIENT span per call) arrive with the same batches.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return [...callers].map(([kind, caller]) =>
      checkChain(
        kind,
        receiver.spans.filter((span) => span.traceId === caller.traceId),
        caller.spanId,
        kind === 'AllStream' ? NAMES.length : 0,
      ),
    );
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await receiver.close();
  }
}

async function main(): Promise<number> {
  const rows: string[] = [];
  let kitsCorrect = true;
  for (const approach of APPROACHES) {
    const verdicts = await check(approach);
    if (approach === APPROACHES[0]) kitsCorrect = verdicts.every((verdict) => verdict.correct);
    const cell = (verdict: ChainVerdict | undefined) =>
      verdict ? `${verdict.correct ? 'correct' : '**wrong**'}: ${verdict.found}` : 'not run';
    const all = verdicts.find((verdict) => verdict.kind === 'AllStream');
    rows.push(
      `| ${approach.title} | ${(['SayHello', 'GetStream', 'PutStream', 'AllStream'] as const)
        .map((kind) => cell(verdicts.find((verdict) => verdict.kind === kind)))
        .join(' | ')} | ${all?.clientSpansPerGreeterCall ?? 'n/a'} |`,
    );
    process.stderr.write(`${approach.title}: ${JSON.stringify(verdicts)}\n`);
  }
  process.stdout.write(
    [
      '| tracing | SayHello | GetStream | PutStream | AllStream (3 messages, a Greeter call each) | stream CLIENT spans per Greeter call |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
  return kitsCorrect ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tracing-approaches: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
