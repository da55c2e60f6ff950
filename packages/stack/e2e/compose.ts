import { join } from 'node:path';
import { type RunResult, run as runCommand } from '@repo/runner';

/** The repository root, where docker-compose.yml is. */
export const ROOT = join(__dirname, '..', '..', '..');

/** Runs a command from the repository root to completion (@repo/runner's run), bounded by `timeoutMs`. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  return runCommand(command, args, { cwd: ROOT, env, timeoutMs });
}

export interface ContainerState {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  ID: string;
}

/**
 * `docker compose` for one project, under its own name and image tag, so that a test never
 * touches a stack a person is running. `env` holds the other variables docker-compose.yml reads
 * (e.g. OTLP_ENDPOINT), for every command.
 */
export class Compose {
  constructor(
    readonly project: string,
    readonly imageTag: string,
    readonly env: Record<string, string> = {},
  ) {}

  async run(args: string[], timeoutMs = 60_000): Promise<string> {
    const result = await run(
      'docker',
      ['compose', '-p', this.project, ...args],
      { ...this.env, IMAGE_TAG: this.imageTag },
      timeoutMs,
    );
    if (result.exit !== 0) {
      throw new Error(
        `docker compose ${args.join(' ')} exited ${result.exit}:\n${result.stderr}${result.stdout}`,
      );
    }
    return result.stdout;
  }

  /** The services docker-compose.yml defines, those of `profiles` included. */
  async services(profiles: string[] = []): Promise<string[]> {
    const out = await this.run([
      ...profiles.flatMap((profile) => ['--profile', profile]),
      'config',
      '--services',
    ]);
    return out.split('\n').filter((service) => service !== '');
  }

  /** Every container of the project, running or not. */
  async ps(): Promise<ContainerState[]> {
    const out = (await this.run(['ps', '-a', '--format', 'json'])).trim();
    if (out === '') return [];
    // Compose prints a JSON array in some versions, one object per line in others.
    const parsed: unknown = out.startsWith('[')
      ? JSON.parse(out)
      : out.split('\n').map((line) => JSON.parse(line));
    return parsed as ContainerState[];
  }

  async containers(service: string): Promise<ContainerState[]> {
    return (await this.ps())
      .filter((container) => container.Service === service)
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  /** What a service's containers printed, without the `service-1 | ` prefixes. */
  async logs(service: string): Promise<string> {
    const out = await this.run(['logs', '--no-color', '--no-log-prefix', service]);
    // Compose starts lines with terminal escapes (erase line) even with --no-color.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what is being removed
    return out.replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, '');
  }

  /** Polls until `done` holds for the project's containers; throws with their last states. */
  async waitFor(
    what: string,
    done: (containers: ContainerState[]) => boolean,
    timeoutMs: number,
  ): Promise<ContainerState[]> {
    const deadline = Date.now() + timeoutMs;
    let last: ContainerState[] = [];
    while (Date.now() < deadline) {
      last = await this.ps();
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const states = last.map((c) => `${c.Name}: ${c.State} ${c.Health} (exit ${c.ExitCode})`).join('\n');
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; containers:\n${states}`);
  }
}

/** The container's hostname, as the services report it in x-served-by: its short id. */
export function hostnameOf(container: ContainerState): string {
  return container.ID.slice(0, 12);
}
