import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { envNameOf } from './env-name';
import { formatLogLine } from './log-format';
import { type ServiceProcess, startService } from './service-process';

// `dev-service`, the `dev` script of every service (run in services/<name>; `pnpm dev` runs it
// for all of them): `tsc --watch` compiles src/ on save, and after each compile without errors
// the service (dist/main.js) is stopped gracefully and started again. After a compile with
// errors the last good build keeps serving.
//
// Ports are those of `pnpm start`: each service's default, or <NAME>_PORT and <NAME>_METRICS_PORT
// (GREETER_PORT=6051 for services/greeter), and a peer's <NAME>_ADDR follows its <NAME>_PORT.
//
// Signals: this process alone signals the service, once (SIGTERM), so that a Ctrl-C does not
// reach it twice (its second signal cancels in-flight calls); a Ctrl-C more than a second later
// kills it at once. tsc stays in this process group, so turbo's signals reach it directly.

const dir = process.cwd();
const name = basename(dir);
const NAME = envNameOf(name);
const entry = join(dir, 'dist', 'main.js');
// tsc's summary after each compile in watch mode (TS6193/TS6194); tsc prints it in English
// unless --locale says otherwise.
const COMPILED = /Found (\d+) errors?\. Watching for file changes\./;
// A service that has not announced its port by then is stopped; the next compile tries again.
const START_TIMEOUT_MS = 60_000;

/** PORT/METRICS_PORT and the peers' addresses from <NAME>_*, over this process's environment. */
function serviceEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const port = process.env[`${NAME}_PORT`];
  const metricsPort = process.env[`${NAME}_METRICS_PORT`];
  if (port) env.PORT = port;
  if (metricsPort) env.METRICS_PORT = metricsPort;
  const services = dirname(dir);
  for (const peer of readdirSync(services)) {
    const PEER = envNameOf(peer);
    const peerPort = process.env[`${PEER}_PORT`];
    if (peer === name || !existsSync(join(services, peer, 'package.json'))) continue;
    if (peerPort && !process.env[`${PEER}_ADDR`]) env[`${PEER}_ADDR`] = `localhost:${peerPort}`;
  }
  return env;
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const note = (message: string) => print(`dev   ${message}`);

let stopping = false;
let service: ServiceProcess | undefined;
let restart = Promise.resolve();
let restartAgain = false;

const tsc = spawn(
  process.execPath,
  [
    require.resolve('typescript/bin/tsc', { paths: [dir] }),
    '--project',
    join(dir, 'tsconfig.build.json'),
    '--watch',
    '--preserveWatchOutput',
  ],
  { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
);
const tscDone = new Promise<void>((resolve) => tsc.once('close', () => resolve()));
createInterface({ input: tsc.stdout as NonNullable<ChildProcess['stdout']> }).on('line', (line) => {
  if (line.trim() === '') return;
  print(`tsc   ${line}`);
  const compiled = COMPILED.exec(line);
  if (!compiled || stopping) return;
  if (compiled[1] === '0') scheduleRestart();
  else if (service) note('not restarted: the last build without errors keeps serving');
});
tsc.once('exit', (code, signal) => {
  if (stopping) return;
  note(`tsc exited (${code ?? signal}), stopping`);
  void stop(1);
});

async function start(): Promise<void> {
  try {
    const started = await startService(entry, {
      env: serviceEnv(),
      // Its own process group: no Ctrl-C reaches it but the one SIGTERM sent from here.
      detached: true,
      readiness: 'announced',
      host: 'localhost',
      onLine: (line) => print(formatLogLine(line)),
      startTimeoutMs: START_TIMEOUT_MS,
    });
    service = started;
    void started.exited.then((code) => {
      if (service !== started) return;
      service = undefined;
      if (!stopping) note(`exited (${code}); it starts again after the next compile without errors`);
    });
  } catch (err: unknown) {
    note(
      `${err instanceof Error ? err.message.split(';')[0] : String(err)}; it starts again after the next compile without errors`,
    );
  }
}

function scheduleRestart(): void {
  if (restartAgain) return;
  restartAgain = true;
  restart = restart.then(async () => {
    restartAgain = false;
    if (stopping) return;
    const old = service;
    if (old) {
      note('compiled, restarting');
      service = undefined;
      await old.stop(START_TIMEOUT_MS);
    }
    if (!stopping) await start();
  });
}

let firstSignalAt: number | undefined;

function onSignal(): void {
  const now = Date.now();
  if (firstSignalAt === undefined) {
    firstSignalAt = now;
    void stop(0);
  } else if (now - firstSignalAt > 1_000) {
    // A second Ctrl-C: everything at once. (Within a second it is the first one again: pnpm
    // forwards to this process the signal that its process group got as well.)
    service?.child.kill('SIGKILL');
    tsc.kill('SIGKILL');
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await restart;
  tsc.kill('SIGTERM');
  await Promise.all([service?.stop(START_TIMEOUT_MS), tscDone]);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
// Whoever reads our output is gone (EPIPE): stop rather than leave the service running.
process.stdout.on('error', () => void stop(1));
// The last resort, on a crash of this process: the service is in a process group of its own.
process.on('exit', () => {
  if (service && !service.hasExited()) service.child.kill('SIGTERM');
});
