// The `dev` script of every service (`node ../../scripts/dev-service.mjs`, run in services/<name>;
// `pnpm dev` runs it for all of them): `tsc --watch` compiles src/ on save, and after each compile
// without errors the service (dist/main.js) is stopped gracefully and started again. After a
// compile with errors the last good build keeps serving.
//
// Ports are those of `pnpm start`: each service's default, or <NAME>_PORT and <NAME>_METRICS_PORT
// (GREETER_PORT=6051 for services/greeter), and a peer's <NAME>_ADDR follows its <NAME>_PORT.
//
// Signals: this process alone signals the service, once (SIGTERM), so that a Ctrl-C does not
// reach it twice (its second signal cancels in-flight calls); a Ctrl-C more than a second later
// kills it at once. tsc stays in this process group, so turbo's signals reach it directly.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const dir = process.cwd();
const name = basename(dir);
const NAME = envName(name);
const entry = join(dir, 'dist', 'main.js');
// tsc's summary after each compile in watch mode (TS6193/TS6194); tsc prints it in English
// unless --locale says otherwise.
const COMPILED = /Found (\d+) errors?\. Watching for file changes\./;

function envName(service) {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** This process's environment, with PORT/METRICS_PORT and the peers' addresses from <NAME>_*. */
function serviceEnv() {
  const env = { ...process.env };
  if (env[`${NAME}_PORT`]) env.PORT = env[`${NAME}_PORT`];
  if (env[`${NAME}_METRICS_PORT`]) env.METRICS_PORT = env[`${NAME}_METRICS_PORT`];
  const services = dirname(dir);
  for (const peer of readdirSync(services)) {
    const PEER = envName(peer);
    if (peer === name || !existsSync(join(services, peer, 'package.json'))) continue;
    if (env[`${PEER}_PORT`] && !env[`${PEER}_ADDR`]) env[`${PEER}_ADDR`] = `localhost:${env[`${PEER}_PORT`]}`;
  }
  return env;
}

const HIDDEN = new Set(['level', 'time', 'instance', 'name', 'msg']);

/** A pino JSON line as `info  serving host=localhost port=50051 ...`; any other line as it is. */
function formatLogLine(line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null) return line;
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${String(record.level ?? '').padEnd(5)} ${String(record.msg ?? '')} ${fields.join(' ')}`.trimEnd();
}

function print(line) {
  process.stdout.write(`${line}\n`);
}

function note(message) {
  print(`dev   ${message}`);
}

/** `child`, with `done`: resolves once it has exited and its output has been read to the end. */
function tracked(child) {
  child.done = new Promise((resolveDone) => child.once('close', () => resolveDone()));
  return child;
}

let stopping = false;
let service; // the running service process, if any
let restart = Promise.resolve(); // the restart in progress, if any
let restartAgain = false;

const tsc = tracked(
  spawn(
    process.execPath,
    [
      createRequire(join(dir, 'package.json')).resolve('typescript/bin/tsc'),
      '--project',
      resolve(dir, 'tsconfig.build.json'),
      '--watch',
      '--preserveWatchOutput',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
  ),
);
createInterface({ input: tsc.stdout }).on('line', (line) => {
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

function startService() {
  const child = tracked(
    spawn(process.execPath, [entry], {
      cwd: dir,
      env: serviceEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: no Ctrl-C reaches it but the one SIGTERM sent from here.
      detached: true,
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => print(formatLogLine(line)));
  createInterface({ input: child.stderr }).on('line', (line) => print(line));
  child.once('exit', (code, signal) => {
    if (service === child) service = undefined;
    if (!stopping && child.restarting !== true) {
      note(`exited (${code ?? signal}); it starts again after the next compile without errors`);
    }
  });
  service = child;
}

function scheduleRestart() {
  if (restartAgain) return;
  restartAgain = true;
  restart = restart.then(async () => {
    restartAgain = false;
    if (stopping) return;
    if (service) {
      note('compiled, restarting');
      const old = service;
      old.restarting = true;
      old.kill('SIGTERM');
      await old.done;
    }
    if (!stopping) startService();
  });
}

let firstSignalAt;

function onSignal() {
  const now = Date.now();
  if (firstSignalAt === undefined) {
    firstSignalAt = now;
    void stop(0);
  } else if (now - firstSignalAt > 1_000) {
    // A second Ctrl-C: everything at once. (Within a second it is the first one again: pnpm
    // forwards to this process the signal that its process group got as well.)
    if (service?.pid) killGroup(service.pid, 'SIGKILL');
    tsc.kill('SIGKILL');
  }
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await restart;
  const running = service;
  running?.kill('SIGTERM');
  tsc.kill('SIGTERM');
  await Promise.all([running?.done, tsc.done]);
  process.exit(code);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
// Whoever reads our output is gone (EPIPE): stop rather than leave the service running.
process.stdout.on('error', () => void stop(1));
// The last resort, on a crash of this script: the service is in a process group of its own.
process.on('exit', () => {
  if (service?.pid && service.exitCode === null && service.signalCode === null)
    killGroup(service.pid, 'SIGTERM');
});
