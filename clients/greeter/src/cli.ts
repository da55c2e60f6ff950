#!/usr/bin/env node
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
  UNARY_TIMEOUT_MS,
  UsageError,
} from '@repo/client-kit';
import { startTelemetry } from '@repo/telemetry';
import { DEFAULT_TARGET, Greeter } from './client';

const HELP = `Usage: greeter hello [name...] [options]

Calls helloworld.Greeter/SayHello once for each name (default: world) and prints each reply
with the greeter instance that served it.

Options:
  -n, --repeat <count>     call this many times for each name (default 1)
${COMMON_HELP.replace('host:port or', `host:port (default: $GREETER_ADDR or ${DEFAULT_TARGET}) or`)}

Examples:
  greeter hello
  greeter hello Ada Grace --target 127.0.0.1:50051
  greeter hello world --repeat 6 --target dns:///localhost:50051
  greeter hello Ada --ca certs/ca.pem --cert certs/client.pem --key certs/client-key.pem
`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_FLAGS, repeat: { type: 'string', short: 'n' } },
  });
  const [command, ...names] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command !== 'hello') throw new UsageError(`unknown command "${command}"`);
  const repeat = parseCount('repeat', values.repeat, 1);
  const callOptions = commonCallOptions(values, UNARY_TIMEOUT_MS);

  const telemetry = await startTelemetry({ serviceName: 'greeter-cli', forceTracing: values.trace === true });
  const greeter = new Greeter({
    target: values.target ?? (process.env.GREETER_ADDR || DEFAULT_TARGET),
    credentials: commonCredentials(values),
    compression: commonCompression(values),
    telemetry,
  });
  try {
    await traceCommand(telemetry.tracer, 'greeter hello', values.trace === true, async () => {
      for (const name of names.length > 0 ? names : ['world']) {
        for (let i = 0; i < repeat; i++) {
          const started = performance.now();
          const { message, servedBy } = await greeter.sayHello(name, callOptions);
          const ms = (performance.now() - started).toFixed(1);
          process.stdout.write(
            values.json
              ? `${JSON.stringify({ message, servedBy, ms: Number(ms) })}\n`
              : // A server that sends no x-served-by (another language's helloworld) gets none named.
                `${message}  (${servedBy ? `served by ${servedBy}, ` : ''}${ms} ms)\n`,
          );
        }
      }
    });
  } finally {
    greeter.close();
    await telemetry.shutdown();
  }
}

runCli('greeter', main);
