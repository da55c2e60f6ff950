import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: README.md, docs/, .ci/run. */
export const ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * How a fenced `sh` block is checked, from the `<!-- docs-check: … -->` comment just before it:
 * - `run`: run with bash by docs.test.ts (`pnpm` being the stand-in below), against the
 *   services of the `serve` blocks before it, or else a stack the test starts; it must exit 0;
 * - `serve`: started in the background by docs.test.ts, until it logs that it serves; stopped
 *   after the next `run` block;
 * - `compose`: run the same way by e2e/docker-compose.test.ts, against its compose project;
 * - `ci`: every command is one that `.ci/run` runs, or one a test runs (docs.test.ts: RUN_BY_TESTS);
 * - `cluster`: needs a Kubernetes cluster; its paths, namespaces and objects are checked
 *   against the render.
 */
export const CHECKS = ['run', 'serve', 'compose', 'ci', 'cluster'] as const;
export type Check = (typeof CHECKS)[number];

export interface ShellBlock {
  /** Path from the repository root. */
  file: string;
  /** Line of the opening fence, from 1. */
  line: number;
  /** The `docs-check` comment's value; undefined when the block has none. */
  check: string | undefined;
  /** The block's text, without the fences. */
  text: string;
}

/** README.md and every page of docs/, as paths from the root. */
export function docsFiles(root = ROOT): string[] {
  const pages = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...pages];
}

const CHECK_COMMENT = /^<!--\s*docs-check:\s*(.+?)\s*-->$/;

/** Every fenced block whose info string starts with `sh`, `bash` or `shell`, in order. */
export function shellBlocks(files = docsFiles(), root = ROOT): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? '');
      if (!fence) continue;
      const [, marker = '```', lang = ''] = fence;
      const start = i;
      let end = i + 1;
      while (end < lines.length && !(lines[end] ?? '').startsWith(marker)) end++;
      if (['sh', 'bash', 'shell'].includes(lang)) {
        let before = start - 1;
        while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
        const check = CHECK_COMMENT.exec((lines[before] ?? '').trim())?.[1];
        blocks.push({ file, line: start + 1, check, text: lines.slice(start + 1, end).join('\n') });
      }
      i = end;
    }
  }
  return blocks;
}

/**
 * The commands of a block as a reader would type them: continuation lines joined, comments
 * and blank lines dropped, split at `&&`, `||`, `;` and `|` (so `a | b` is two commands).
 */
export function commandsOf(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#(?![0-9]).*$/, '').trim())
    .filter((line) => line !== '')
    .flatMap((line) => line.split(/\s*(?:&&|\|\||;|\|)\s*/))
    .map((command) => command.trim())
    .filter((command) => command !== '');
}

interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The workspace's package folders (pnpm-workspace.yaml: protos, packages/*, services/*, clients/*). */
export function workspacePackages(): { dir: string; name: string; scripts: Record<string, string> }[] {
  const dirs = ['protos'];
  for (const parent of ['packages', 'services', 'clients']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
    }
  }
  return dirs.flatMap((dir) => {
    try {
      const pkg = readPackage(dir);
      return [{ dir, name: pkg.name ?? dir, scripts: pkg.scripts ?? {} }];
    } catch {
      return [];
    }
  });
}

export function rootScripts(): Record<string, string> {
  return readPackage('.').scripts ?? {};
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * A bash function `pnpm` that does what pnpm would for the commands the docs use, without
 * pnpm: `pnpm <root script>` runs the script's last `pnpm --filter <package> <script>` step
 * (the steps before it build, which turbo has done before any test runs), and
 * `pnpm --filter <package> <script>` runs a `node …` script in the package's folder, as pnpm
 * does. A service started so listens on `$DOCS_PORT_<NAME>` with no metrics port, for the test
 * to know where it is; anything else fails with 127.
 */
function pnpmStandIn(): string {
  const packages = workspacePackages();
  const cases: string[] = [];
  const nodeScript = (dir: string, script: string): string | undefined => {
    const command = packages.find((p) => p.dir === dir)?.scripts[script];
    const match = /^node (\S+)(.*)$/.exec(command ?? '');
    if (!match) return undefined;
    const [, file = '', args = ''] = match;
    const service = /^services\/([\w-]+)$/.exec(dir)?.[1];
    const env = service
      ? `PORT="$DOCS_PORT_${service.toUpperCase().replaceAll('-', '_')}" METRICS_PORT=0 `
      : '';
    return `( cd ${quote(join(ROOT, dir))} && ${env}exec node ${quote(file)}${args} "$@" )`;
  };
  for (const pkg of packages) {
    for (const script of Object.keys(pkg.scripts)) {
      const run = nodeScript(pkg.dir, script);
      if (run)
        cases.push(
          `    ${quote(`./${pkg.dir}|${script}`)}|${quote(`${pkg.name}|${script}`)}) shift; ${run} ;;`,
        );
    }
  }
  for (const [script, command] of Object.entries(rootScripts())) {
    const last = command.split('&&').at(-1)?.trim() ?? '';
    const step = /^pnpm (?:--silent )?--filter (\S+) (\S+)$/.exec(last);
    const pkg = packages.find((p) => p.name === step?.[1] || `./${p.dir}` === step?.[1]);
    const run = pkg && step?.[2] ? nodeScript(pkg.dir, step[2]) : undefined;
    if (run) cases.push(`    ${quote(`|${script}`)}) shift; ${run} ;;`);
  }
  return [
    'pnpm() {',
    "  local filter=''",
    '  while [ "$#" -gt 0 ]; do',
    '    case "$1" in --silent) shift ;; --filter) filter=$2; shift 2 ;; *) break ;; esac',
    '  done',
    '  case "$filter|$1" in',
    ...cases,
    '    *) echo "docs test: no stand-in for pnpm $* (--filter: \'$filter\')" >&2; return 127 ;;',
    '  esac',
    '}',
  ].join('\n');
}

/**
 * A bash function `curl` that calls the gateway the test started (on `$DOCS_PORT_GATEWAY`)
 * where the docs name the default one, 127.0.0.1:8080; anything else goes to curl as written.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: bash's parameter expansions, for bash, not a template
const CURL_STAND_IN = 'curl() { command curl "${@//127.0.0.1:8080/127.0.0.1:${DOCS_PORT_GATEWAY:-8080}}"; }';

export interface BlockRun {
  exit: number | string;
  output: string;
}

/**
 * Runs a block with bash -euo pipefail in `cwd`, with the pnpm stand-in, in a process group of
 * its own; resolves with its exit and output (stdout and stderr together). Rejects after
 * `timeoutMs`, having killed the group.
 */
export async function runBlock(
  text: string,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<BlockRun> {
  const child = startBlock(text, options);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (signal === 'SIGKILL') throw new Error(`did not end within ${options.timeoutMs} ms:\n${output}`);
  return { exit: code ?? signal ?? 'unknown', output };
}

/** Starts a block as runBlock does, and returns the bash process (leader of its group). */
export function startBlock(
  text: string,
  options: { cwd: string; env: Record<string, string> },
): ChildProcess {
  const script = `set -euo pipefail\n${pnpmStandIn()}\n${CURL_STAND_IN}\n${text}\n`;
  return spawn('bash', ['-c', script], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

/** Signals every process of the block's group (bash and what it started). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
