import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Greeter } from '@repo/greeter-client';
import { StreamClient } from '@repo/stream-client';
import { freePort } from '@repo/test-kit';

// `pnpm dev` (the root script, turbo's `dev` task, each service's `dev-service`) run for real, in a copy
// of the workspace: the services' sources, manifests and tsconfigs, the root's package.json and
// turbo.json, with node_modules linked to the installed ones. The copy's handler is edited, never
// the repository's, which other tests and editors use at the same time.

const STARTED_WITHIN_MS = 120_000; // two builds and two first compiles, on a busy 2-core machine
const SERVED_WITHIN_MS = 30_000;
const STOPPED_WITHIN_MS = 20_000;

function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** The copy: a workspace of services/* only, its node_modules the repository's own. */
async function copyWorkspace(root: string, services: readonly string[]): Promise<string> {
  const copy = await realpath(await mkdtemp(join(tmpdir(), 'dev-loop-')));
  for (const file of ['package.json', 'turbo.json']) await copyFile(join(root, file), join(copy, file));
  await writeFile(join(copy, 'pnpm-workspace.yaml'), 'packages:\n  - services/*\n');
  // Outside git, turbo walks the files itself: this keeps it out of node_modules.
  await writeFile(join(copy, '.gitignore'), 'node_modules/\ndist/\n.turbo/\n');
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  for (const service of services) {
    const from = join(root, 'services', service);
    const to = join(copy, 'services', service);
    await mkdir(to, { recursive: true });
    await cp(join(from, 'src'), join(to, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.build.json'])
      await copyFile(join(from, file), join(to, file));
    await symlink(join(from, 'node_modules'), join(to, 'node_modules'));
  }
  return copy;
}

/** Every process whose working directory is in `dir` (Linux: /proc). */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cwd = await readlink(`/proc/${pid}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}${sep}`)) {
        found.push(`${pid} ${(await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim()}`);
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Polls `probe` until it returns true; fails, naming `what`, after `timeoutMs`. */
async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function greeting(greeter: Greeter): Promise<string | undefined> {
  try {
    return (await greeter.sayHello('world', { timeoutMs: 2_000 })).message;
  } catch {
    return undefined; // not serving yet, or restarting
  }
}

async function greetingThroughStream(stream: StreamClient): Promise<string | undefined> {
  try {
    for await (const { message } of stream.allStream(['Ada'], { timeoutMs: 2_000 })) return message;
    return undefined;
  } catch {
    return undefined;
  }
}

describe('pnpm dev', () => {
  const root = repositoryRoot();
  let copy: string;
  let dev: ChildProcess;
  let output = '';
  let greeter: Greeter;
  let stream: StreamClient;

  beforeAll(async () => {
    const services = (await readdir(join(root, 'services'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    copy = await copyWorkspace(root, services);
    // Free ports, so that a `pnpm start` or `pnpm dev` of the repository keeps its own.
    const env: Record<string, string> = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };
    const ports = new Map<string, number>();
    for (const service of services) {
      const prefix = service.toUpperCase().replaceAll('-', '_');
      ports.set(service, await freePort());
      env[`${prefix}_PORT`] = String(ports.get(service));
      env[`${prefix}_METRICS_PORT`] = '0';
    }
    greeter = new Greeter({ target: `localhost:${ports.get('greeter')}` });
    stream = new StreamClient({ target: `localhost:${ports.get('stream')}` });
    dev = spawn('pnpm', ['run', 'dev'], {
      cwd: copy,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group, as in a terminal: Ctrl-C is a SIGINT to all of it.
      detached: true,
    });
    dev.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    dev.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
  });

  afterAll(async () => {
    greeter?.close();
    stream?.close();
    if (dev?.pid !== undefined && dev.exitCode === null && dev.signalCode === null) {
      process.kill(-dev.pid, 'SIGKILL');
    }
    if (copy) {
      for (const line of await processesIn(copy)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      await rm(copy, { recursive: true, force: true });
    }
  });

  it(
    'starts every service: the Greeter answers, and the stream service reaches it',
    async () => {
      await eventually('Hello world from the Greeter', STARTED_WITHIN_MS, async () => {
        if (dev.exitCode !== null) throw new Error(`pnpm dev exited (${dev.exitCode}):\n${output}`);
        return (await greeting(greeter)) === 'Hello world';
      }).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n${output}`);
      });
      await eventually('Hello Ada through the stream service', SERVED_WITHIN_MS, async () => {
        return (await greetingThroughStream(stream)) === 'Hello Ada';
      });
    },
    STARTED_WITHIN_MS + SERVED_WITHIN_MS + 5_000,
  );

  it(
    'serves a change to a handler within seconds, with no manual step',
    async () => {
      const handler = join(copy, 'services', 'greeter', 'src', 'greeter.ts');
      const source = await readFile(handler, 'utf8');
      const edited = source.replace(/`Hello (\$\{name\})`/, '`Howdy $1`');
      expect(edited).not.toBe(source);

      await writeFile(handler, edited);

      await eventually('Howdy world from the Greeter', SERVED_WITHIN_MS, async () => {
        return (await greeting(greeter)) === 'Howdy world';
      });
      // The stream service keeps calling the Greeter across its restart.
      await eventually('Howdy Ada through the stream service', SERVED_WITHIN_MS, async () => {
        return (await greetingThroughStream(stream)) === 'Howdy Ada';
      });
    },
    2 * SERVED_WITHIN_MS + 5_000,
  );

  it(
    'stops on Ctrl-C, every process with it',
    async () => {
      process.kill(-(dev.pid as number), 'SIGINT');

      await eventually(
        'pnpm dev to exit',
        STOPPED_WITHIN_MS,
        async () => dev.exitCode !== null || dev.signalCode !== null,
      );
      expect(await processesIn(copy)).toEqual([]);
      expect(output).not.toMatch(/second signal/);
    },
    STOPPED_WITHIN_MS + 5_000,
  );
});
