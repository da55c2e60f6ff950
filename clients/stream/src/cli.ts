#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  COMMON_FLAGS,
  COMMON_HELP,
  commonCallOptions,
  commonCompression,
  commonCredentials,
  parseCount,
  runCli,
  traceCommand,
  UsageError,
} from '@repo/client-kit';
import { startTelemetry } from '@repo/telemetry';
import { DEFAULT_TARGET, StreamClient } from './client';

const HELP = `Usage: stream <command> [arguments] [options]

Commands (one per streaming kind of stream.v1.StreamService):
  get [text]          server streaming: GetStream prints each message as it arrives
  put [text...]       client streaming: PutStream sends each text (or each line of stdin
                      with "-"), then prints the server's summary
  all [name...]       bidirectional: AllStream sends each name (default: world) and prints
                      each greeting, which the stream service gets from the Greeter

Options:
  -c, --count <n>          get: messages to receive (default 5); put: send n generated
                           messages instead of texts
  -i, --interval-ms <ms>   get: pause between messages (default 200)
      --payload-bytes <n>  get: filler bytes per message (default 0)
${COMMON_HELP.replace('host:port or', `host:port (default: $STREAM_ADDR or ${DEFAULT_TARGET}) or`)}

Examples:
  stream get hello --count 3 --interval-ms 100
  stream put alpha beta gamma
  seq 1 100000 | stream put -
  stream all Ada Grace Linus
  stream get --ca certs/ca.pem --cert certs/client.pem --key certs/client-key.pem
`;

const OPTIONS = {
  ...COMMON_FLAGS,
  count: { type: 'string', short: 'c' },
  'interval-ms': { type: 'string', short: 'i' },
  'payload-bytes': { type: 'string' },
} as const;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command, ...args] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  // Streams run until they end (or Ctrl-C) unless --timeout-ms gives them a deadline.
  const callOptions = commonCallOptions(values, undefined);
  const print = (json: object, text: string) =>
    process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  const telemetry = await startTelemetry({ serviceName: 'stream-cli', forceTracing: values.trace === true });
  const client = new StreamClient({
    target: values.target ?? (process.env.STREAM_ADDR || DEFAULT_TARGET),
    credentials: commonCredentials(values),
    compression: commonCompression(values),
    telemetry,
  });
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)} s`;
  try {
    await traceCommand(telemetry.tracer, `stream ${command}`, values.trace === true, () => run(command));
  } finally {
    client.close();
    await telemetry.shutdown();
  }

  async function run(command: string): Promise<void> {
    switch (command) {
      case 'get': {
        const request = {
          text: args.join(' ') || 'hello',
          count: parseCount('count', values.count, 5),
          intervalMs: parseCount('interval-ms', values['interval-ms'], 200),
          payloadBytes: parseCount('payload-bytes', values['payload-bytes'], 0),
        };
        let received = 0;
        for await (const { index, text, payload } of client.getStream(request, callOptions)) {
          received++;
          print({ index, text, payloadBytes: payload.length }, `#${index} ${text}`);
        }
        if (!values.json) print({}, `received ${received} messages in ${elapsed()}`);
        return;
      }
      case 'put': {
        const summary = await client.putStream(putSource(args, values.count), callOptions);
        print(
          summary,
          `sent ${summary.count} messages (${summary.bytes} bytes) in ${elapsed()}: ${summary.preview}`,
        );
        return;
      }
      case 'all': {
        for await (const { message, servedBy } of client.allStream(
          args.length > 0 ? args : ['world'],
          callOptions,
        )) {
          print({ message, servedBy }, servedBy ? `${message}  (greeter ${servedBy})` : message);
        }
        return;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  }
}

function putSource(texts: string[], count: string | undefined): Iterable<string> | AsyncIterable<string> {
  if (count !== undefined) {
    if (texts.length > 0) throw new UsageError('put takes either texts or --count, not both');
    return generated(parseCount('count', count, 0));
  }
  if (texts.length === 1 && texts[0] === '-')
    return createInterface({ input: process.stdin, crlfDelay: Infinity });
  if (texts.length === 0) throw new UsageError('put needs texts to send, "-" to read stdin, or --count');
  return texts;
}

function* generated(count: number): Iterable<string> {
  for (let i = 1; i <= count; i++) yield `message ${i}`;
}

runCli('stream', main);
