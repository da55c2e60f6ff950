import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { freePort } from '@repo/test-kit';
import { type RunningService, startServices, stopServices } from '../src/processes';
import { SERVICES } from '../src/services';
import {
  CHECKS,
  commandsOf,
  docsFiles,
  killGroup,
  ROOT,
  rootScripts,
  runBlock,
  type ShellBlock,
  shellBlocks,
  startBlock,
  workspacePackages,
} from './support/docs';

// Every fenced sh block of README.md and docs/ says how it is checked (support/docs.ts: CHECKS),
// and is checked so here, or by e2e/docker-compose.test.ts for `compose` blocks.

const MINUTE = 60_000;
const blocks = shellBlocks();
const where = (block: ShellBlock) => `${block.file}:${block.line}`;

/** Commands of `ci` blocks that .ci/run does not run, and the test that runs them. */
const RUN_BY_TESTS: Record<string, { test: string; runs: string }> = {
  'pnpm start': { test: 'packages/stack/test/docs.test.ts', runs: "startBlock('pnpm start'" },
  'docker compose up --build': {
    test: 'packages/stack/e2e/docker-compose.test.ts',
    runs: "'up', '-d', '--build'",
  },
  'docker compose down': { test: 'packages/stack/e2e/docker-compose.test.ts', runs: "'down'" },
  // In a clean copy of the repository, since it writes a service (docs/adding-a-service.md).
  'pnpm turbo gen service --args orders 50053': {
    test: 'scripts/check-service-generator.sh',
    runs: 'pnpm turbo gen service --args',
  },
};

/** pnpm's own commands the docs name (and `turbo`, a binary of the root package). */
const PNPM_COMMANDS = ['install', 'add', 'fetch', 'deploy', 'dlx', 'exec', 'turbo'];

/** The commands .ci/run runs: its lines that start with a command the docs use. */
function ciCommands(): Set<string> {
  const lines = readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n');
  return new Set(commandsOf(lines.filter((line) => /^\s*(pnpm|docker|bash|node) /.test(line)).join('\n')));
}

describe('the docs', () => {
  it('say before every sh block how it is checked', () => {
    expect(blocks.length).toBeGreaterThan(10);
    const unchecked = blocks
      .filter((block) => !(CHECKS as readonly string[]).includes(block.check ?? ''))
      .map((block) => `${where(block)}: ${block.check ?? 'no <!-- docs-check: … --> comment'}`);
    expect(unchecked).toEqual([]);
  });

  it('run, in their ci blocks, only commands that .ci/run or a named test runs', () => {
    const ci = ciCommands();
    const unrun = blocks
      .filter((block) => block.check === 'ci')
      .flatMap((block) => commandsOf(block.text).map((command) => ({ where: where(block), command })))
      .filter(({ command }) => {
        const test = RUN_BY_TESTS[command];
        if (test) return !readFileSync(join(ROOT, test.test), 'utf8').includes(test.runs);
        return !ci.has(command);
      });
    expect(unrun).toEqual([]);
  });

  it('name only pnpm scripts that exist', () => {
    const packages = workspacePackages();
    const root = rootScripts();
    const missing: string[] = [];
    for (const file of docsFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const mentions = [...text.matchAll(/`pnpm ([^`]+)`/g)].map((m) => m[1] ?? '');
      const inBlocks = blocks
        .filter((block) => block.file === file)
        .flatMap((block) => commandsOf(block.text))
        .map((command) => /(?:^|\s)pnpm (.+)$/.exec(command)?.[1])
        .filter((rest): rest is string => rest !== undefined);
      for (const rest of [...mentions, ...inBlocks]) {
        const words = rest.split(/\s+/).filter((word) => word !== '--silent');
        // A placeholder (`pnpm <script>`), or `pnpm --filter` named as an option.
        if ((words[0] ?? '<').startsWith('<') || (words[0] === '--filter' && words.length < 3)) continue;
        if (words[0] === '--filter') {
          const [, selector = '', script = ''] = words;
          const pkg = packages.find((p) => p.name === selector || `./${p.dir}` === selector);
          // `./services/<name>` is a pattern, not a package: every service has the script.
          const targets = selector.includes('<name>')
            ? packages.filter((p) => p.dir.startsWith('services/'))
            : pkg
              ? [pkg]
              : [];
          if (targets.length === 0 || targets.some((p) => p.scripts[script] === undefined))
            missing.push(`${file}: pnpm ${rest}`);
        } else if (!PNPM_COMMANDS.includes(words[0] ?? '') && root[words[0] ?? ''] === undefined) {
          missing.push(`${file}: pnpm ${rest}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('link only to files, and headings, that exist', () => {
    const broken: string[] = [];
    for (const file of docsFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(join(ROOT, resolved))) {
          broken.push(`${file}: ${target} (no ${resolved})`);
        } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
          broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('name only files and folders of the repository that exist', () => {
    const missing: string[] = [];
    for (const file of docsFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, path = ''] of text.matchAll(
        /`((?:packages|services|clients|scripts|deploy|protos|observability|docs)\/[\w./-]+)`/g,
      )) {
        if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('give the Node.js and pnpm versions the repository pins', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const packageManager = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }
    ).packageManager;
    expect(readme).toContain(`npm install --global ${packageManager}`);
    expect(readme).toContain(`You need Node.js ${readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()}`);
  });

  it('name, in their cluster blocks, only overlays, namespaces, objects and images the manifests render', () => {
    const problems: string[] = [];
    for (const block of blocks.filter((b) => b.check === 'cluster')) {
      const commands = commandsOf(block.text);
      const overlays = [...block.text.matchAll(/-k (\S+)/g)].map((m) => m[1] ?? '');
      const overlay = overlays[0] ?? 'deploy/kubernetes/overlays/dev';
      const objects = render(overlay);
      for (const path of overlays) {
        if (!existsSync(join(ROOT, path))) problems.push(`${where(block)}: no ${path}`);
      }
      for (const [, namespace = ''] of block.text.matchAll(/-n (\S+)/g)) {
        if (!namespace.includes('$') && !objects.some((o) => o.kind === 'Namespace' && o.name === namespace))
          problems.push(`${where(block)}: ${overlay} has no namespace ${namespace}`);
      }
      for (const command of commands.filter((c) => c.startsWith('kubectl'))) {
        for (const [, kind = '', name = ''] of command.matchAll(
          /\b(deployment|job|secret|service)\/([\w-]+)/g,
        )) {
          const found = objects.some((o) => o.kind.toLowerCase() === kind && o.name === name);
          if (!found && kind !== 'secret')
            problems.push(`${where(block)}: ${overlay} renders no ${kind}/${name}`);
        }
      }
      for (const [, image = ''] of block.text.matchAll(/(grpc-monorepo\/[\w-]+:\w+)/g)) {
        if (!objects.some((o) => o.images.includes(image)))
          problems.push(`${where(block)}: ${overlay} uses no image ${image}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it(
    'runs `pnpm start` (quick start): every call kind, then it serves until Ctrl-C and stops cleanly',
    async () => {
      const [greeter, stream, gateway] = [await freePort(), await freePort(), await freePort()];
      const child = startBlock('pnpm start', { cwd: ROOT, env: stackEnv(greeter, stream, gateway) });
      let output = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      const closed = once(child, 'close');
      const deadline = Date.now() + 30_000;
      while (!output.includes('Press Ctrl-C to stop.') && child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      killGroup(child, 'SIGINT');
      await closed;

      expect(output).toContain(`Serving: greeter at localhost:${greeter}, stream at localhost:${stream}`);
      expect(output.match(/✓ ok/g)).toHaveLength(5);
      expect(output).toContain('Stopped: gateway exited 0, stream exited 0, greeter exited 0');
    },
    MINUTE,
  );

  describe.each(
    docsFiles().filter((file) => blocks.some((b) => b.file === file && /^(run|serve)$/.test(b.check ?? ''))),
  )('%s', (file) => {
    it(
      'runs its run and serve blocks, in order, as a reader would',
      async () => {
        await runFile(blocks.filter((b) => b.file === file && /^(run|serve)$/.test(b.check ?? '')));
      },
      5 * MINUTE,
    );
  });
});

/** The environment of the blocks: where the services listen, and what the CLIs call. */
function stackEnv(greeter: number, stream: number, gateway: number): Record<string, string> {
  return {
    DOCS_PORT_GREETER: String(greeter),
    DOCS_PORT_STREAM: String(stream),
    DOCS_PORT_GATEWAY: String(gateway),
    GREETER_PORT: String(greeter),
    STREAM_PORT: String(stream),
    GATEWAY_PORT: String(gateway),
    GREETER_METRICS_PORT: '0',
    STREAM_METRICS_PORT: '0',
    GATEWAY_METRICS_PORT: '0',
    GREETER_ADDR: `localhost:${greeter}`,
    STREAM_ADDR: `localhost:${stream}`,
  };
}

/**
 * Runs a page's blocks in a scratch folder laid out like the repository (scripts/ copied, so
 * that what they write stays there; the rest linked): a `serve` block in the background until it
 * logs that it serves, a `run` block to completion (exit 0), against the `serve` blocks' services
 * or, when there are none and it calls a service, a stack started here. Background blocks stop
 * after the next `run` block.
 */
async function runFile(fileBlocks: ShellBlock[]): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'docs-'));
  cpSync(join(ROOT, 'scripts'), join(scratch, 'scripts'), { recursive: true });
  for (const entry of ['deploy', 'protos']) symlinkSync(join(ROOT, entry), join(scratch, entry));
  const [greeter, stream, gateway] = [await freePort(), await freePort(), await freePort()];
  const env = stackEnv(greeter, stream, gateway);
  const background: { block: ShellBlock; child: ReturnType<typeof startBlock>; output: () => string }[] = [];
  let stack: RunningService[] | undefined;
  const stopBackground = async () => {
    for (const { child } of background.splice(0)) {
      const closed = once(child, 'close');
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 30_000);
      await closed;
      clearTimeout(timer);
    }
  };
  try {
    for (const block of fileBlocks) {
      if (block.check === 'serve') {
        if (stack) await stopServices(stack.splice(0));
        const child = startBlock(block.text, { cwd: scratch, env });
        let output = '';
        child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
        });
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
        });
        background.push({ block, child, output: () => output });
        const deadline = Date.now() + 30_000;
        while (!/"msg":"serving"|Press Ctrl-C to stop\./.test(output) && Date.now() < deadline) {
          if (child.exitCode !== null) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect({
          block: where(block),
          serving: /"msg":"serving"|Press Ctrl-C/.test(output),
          output,
        }).toMatchObject({
          block: where(block),
          serving: true,
        });
        continue;
      }
      if (
        background.length === 0 &&
        !stack?.length &&
        /\bpnpm (greeter|stream)\b|\bcurl\b/.test(block.text)
      ) {
        stack = await startServices(SERVICES, {
          ports: new Map([
            ['greeter', greeter],
            ['stream', stream],
            ['gateway', gateway],
          ]),
          metricsPorts: new Map(SERVICES.map(({ name }) => [name, 0])),
          onLine: () => {},
        });
      }
      const result = await runBlock(block.text, { cwd: scratch, env, timeoutMs: 2 * MINUTE });
      const logs = background.map(({ block: b, output }) => `--- ${where(b)}:\n${output()}`).join('\n');
      expect({ block: where(block), exit: result.exit, output: result.output, logs }).toMatchObject({
        block: where(block),
        exit: 0,
      });
      await stopBackground();
    }
  } finally {
    await stopBackground();
    if (stack) await stopServices(stack);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** GitHub's anchors of a Markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading = '']) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

interface RenderedObject {
  kind: string;
  name: string;
  images: string[];
}

/** The objects `kubectl kustomize` renders for an overlay: kind, name and container images. */
function render(overlay: string): RenderedObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', join(ROOT, overlay)], { encoding: 'utf8' });
  return yaml.split(/^---$/m).map((doc) => ({
    kind: /^kind: (\S+)/m.exec(doc)?.[1] ?? '',
    name: /^metadata:\n(?:[ ]{2}.*\n)*?[ ]{2}name: (\S+)/m.exec(doc)?.[1] ?? '',
    images: [...doc.matchAll(/^\s+image: (\S+)/gm)].map((m) => m[1] ?? ''),
  }));
}
