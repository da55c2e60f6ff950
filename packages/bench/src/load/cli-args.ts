import { parseArgs } from 'node:util';
import { parseCount, UsageError } from '@repo/client-kit';
import { LOAD_DEFAULTS, LOAD_KINDS, type LoadKind, type LoadOptions } from './options';

const GREETER_TARGET = 'localhost:50051';
const STREAM_TARGET = 'localhost:50052';
const CLI_WARMUP_MS = 1_000;

export const HELP = `Usage: grpc-load [options]

Drives gRPC load at one server in a closed loop (each connection keeps --streams calls
outstanding, a new call starting as soon as one ends), checks every response, and reports
calls/s, messages/s, latency quantiles and errors by status.

Options:
  -t, --target <host:port>  server address (default: $GREETER_ADDR or ${GREETER_TARGET} for unary,
                            $STREAM_ADDR or ${STREAM_TARGET} for the streaming kinds)
  -k, --kind <kind>         unary              helloworld.Greeter/SayHello (default)
                            get-stream         GetStream: one request, --messages replies
                            put-stream         PutStream: --messages requests, one summary
                            all-stream         AllStream: --messages names, one at a time; the
                                               stream service calls the Greeter for each
  -c, --connections <n>     HTTP/2 connections (default ${LOAD_DEFAULTS.connections})
  -s, --streams <n>         calls outstanding per connection (default ${LOAD_DEFAULTS.streams})
  -d, --duration <time>     measured time: 500ms, 10s, 2m; a bare number is seconds (default 10s)
  -w, --warmup <time>       unmeasured load first (default ${CLI_WARMUP_MS / 1000}s)
  -n, --count <n>           measure n calls instead (with --duration: at most that long)
  -m, --messages <n>        streaming kinds: messages per call (default ${LOAD_DEFAULTS.messagesPerCall})
      --name <name>         unary, all-stream: the name to greet (default ${LOAD_DEFAULTS.name})
      --text <text>         get-stream, put-stream: the text of each message (default ${LOAD_DEFAULTS.text})
      --payload-bytes <n>   get-stream: filler bytes per message; put-stream: each text is
                            n bytes (default 0)
      --timeout <time>      deadline of each call (default none)
      --server-pid <pid>    also report this process's CPU time over the measured window and
                            its peak memory (Linux)
      --json                print the result as one JSON object
  -h, --help                show this help

Progress goes to stderr once a second; the result to stdout. Ctrl-C ends the measurement early
and prints what was measured. Exit status: 0, 1 when any call failed, 2 for a bad command line.

Examples:
  grpc-load --target 127.0.0.1:50051 --connections 4 --streams 50 --duration 10s --warmup 2s
  grpc-load --kind get-stream --messages 1000 --payload-bytes 1024 --streams 4 --json
`;

const FLAGS = {
  target: { type: 'string', short: 't' },
  kind: { type: 'string', short: 'k' },
  connections: { type: 'string', short: 'c' },
  streams: { type: 'string', short: 's' },
  duration: { type: 'string', short: 'd' },
  warmup: { type: 'string', short: 'w' },
  count: { type: 'string', short: 'n' },
  messages: { type: 'string', short: 'm' },
  name: { type: 'string' },
  text: { type: 'string' },
  'payload-bytes': { type: 'string' },
  timeout: { type: 'string' },
  'server-pid': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type LoadCommand =
  | { help: true }
  | { help: false; json: boolean; options: Omit<LoadOptions, 'signal' | 'onProgress'> };

/**
 * Reads the command line; throws UsageError (or util.parseArgs's ERR_PARSE_ARGS_* errors, for an
 * unknown flag or a missing value) naming what is wrong.
 */
export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadCommand {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) return { help: true };
  const kind = (values.kind ?? 'unary') as LoadKind;
  if (!LOAD_KINDS.includes(kind)) {
    throw new UsageError(`--kind must be one of ${LOAD_KINDS.join(', ')}, got "${values.kind}"`);
  }
  const defaultTarget =
    kind === 'unary' ? env.GREETER_ADDR || GREETER_TARGET : env.STREAM_ADDR || STREAM_TARGET;
  return {
    help: false,
    json: values.json ?? false,
    // Left undefined, an option takes runLoad's default (LOAD_DEFAULTS).
    options: {
      target: values.target ?? defaultTarget,
      kind,
      connections: integer('connections', values.connections),
      streams: integer('streams', values.streams),
      durationMs: duration('duration', values.duration, 1),
      warmupMs: duration('warmup', values.warmup, 0) ?? CLI_WARMUP_MS,
      count: integer('count', values.count),
      messagesPerCall: integer('messages', values.messages),
      name: values.name,
      text: values.text,
      payloadBytes: integer('payload-bytes', values['payload-bytes'], 0),
      timeoutMs: duration('timeout', values.timeout, 1),
      serverPid: integer('server-pid', values['server-pid']),
    },
  };
}

/** The whole number `--flag` gives, of at least `min`; undefined when it is not given. */
function integer(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseCount(flag, value, 0);
  if (parsed < min) throw new UsageError(`--${flag} must be at least ${min}, got "${value}"`);
  return parsed;
}

/**
 * `500ms`, `10s`, `2m`, `1.5s` or a bare number of seconds, in whole milliseconds of at least
 * `minMs`; undefined when the flag is not given.
 */
function duration(flag: string, value: string | undefined, minMs: number): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  const unitMs = { ms: 1, s: 1_000, m: 60_000 }[match?.[2] ?? 's'] ?? 1_000;
  const ms = match?.[1] === undefined ? Number.NaN : Math.round(Number(match[1]) * unitMs);
  if (!Number.isSafeInteger(ms) || ms < minMs) {
    throw new UsageError(
      `--${flag} must be a duration such as 500ms, 10s or 2m of at least ${minMs} ms, got "${value}"`,
    );
  }
  return ms;
}
