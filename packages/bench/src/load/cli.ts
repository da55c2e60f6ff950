#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseCount, runCli, UsageError } from '@repo/client-kit';
import { LOAD_DEFAULTS, LOAD_KINDS, type LoadKind } from './options';
import { formatResult } from './report';
import { runLoad } from './run-load';

const HELP = `Usage: grpc-load [options]

Drives gRPC load at one server in a closed loop, checks every response, and reports calls/s,
messages/s, latency quantiles and errors by status. Exit status: 1 when any call failed.

  -t, --target <host:port>  default $GREETER_ADDR or localhost:50051 for unary, $STREAM_ADDR or
                            localhost:50052 for the others
  -k, --kind <kind>         unary (SayHello, the default), get-stream, put-stream, all-stream
                            (one name at a time; the stream service calls the Greeter for each)
  -c, --connections <n>     HTTP/2 connections (default ${LOAD_DEFAULTS.connections})
  -s, --streams <n>         calls outstanding per connection (default ${LOAD_DEFAULTS.streams})
  -d, --duration <seconds>  measured time (default 10), after
  -w, --warmup <seconds>    unmeasured load (default 1)
  -m, --messages <n>        streaming kinds: messages per call (default ${LOAD_DEFAULTS.messagesPerCall})
      --server-pid <pid>    report this process's CPU time and peak memory too (Linux)
      --json                print the result as one JSON object
  -h, --help                show this help
`;

const FLAGS = {
  target: { type: 'string', short: 't' },
  kind: { type: 'string', short: 'k', default: 'unary' },
  connections: { type: 'string', short: 'c' },
  streams: { type: 'string', short: 's' },
  duration: { type: 'string', short: 'd', default: '10' },
  warmup: { type: 'string', short: 'w', default: '1' },
  messages: { type: 'string', short: 'm' },
  'server-pid': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The whole number `--flag` gives, of at least `min`; undefined when it is not given. */
function integer(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseCount(flag, value, 0);
  if (parsed < min) throw new UsageError(`--${flag} must be at least ${min}, got "${value}"`);
  return parsed;
}

/** Seconds, whole or not, as whole milliseconds of at least `minMs`. */
function seconds(flag: string, value: string, minMs: number): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : Number.NaN;
  if (!(ms >= minMs)) throw new UsageError(`--${flag} must be a number of seconds, got "${value}"`);
  return ms;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const kind = values.kind as LoadKind;
  if (!LOAD_KINDS.includes(kind)) {
    throw new UsageError(`--kind must be one of ${LOAD_KINDS.join(', ')}, got "${values.kind}"`);
  }
  const { GREETER_ADDR, STREAM_ADDR } = process.env;
  const fallback = kind === 'unary' ? GREETER_ADDR || 'localhost:50051' : STREAM_ADDR || 'localhost:50052';
  const serverPid = integer('server-pid', values['server-pid']);
  const result = await runLoad({
    target: values.target ?? fallback,
    kind,
    connections: integer('connections', values.connections),
    streams: integer('streams', values.streams),
    durationMs: seconds('duration', values.duration, 1),
    warmupMs: seconds('warmup', values.warmup, 0),
    messagesPerCall: integer('messages', values.messages),
    pids: serverPid === undefined ? [] : [serverPid],
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
  const failed = Object.values(result.errors).reduce((sum, n) => sum + n, 0);
  if (failed > 0) throw new Error(`${failed} calls failed`);
}

runCli('grpc-load', main);
