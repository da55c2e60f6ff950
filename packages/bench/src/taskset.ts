import { run } from '@repo/runner';

let installed: Promise<boolean> | undefined;

/** Whether taskset (util-linux) is installed, asked once. */
export function hasTaskset(): Promise<boolean> {
  installed ??= run('taskset', ['--version']).then(
    (result) => result.exit === 0,
    () => false,
  );
  return installed;
}

/**
 * The command prefix that pins a process to `cpu` (`taskset -c <cpu>`, which execs the command,
 * so the pid is the command's own), or none when `cpu` is undefined or taskset is missing: the
 * caller then reports the figures as unpinned.
 */
export async function pinTo(cpu: number | undefined): Promise<string[]> {
  return cpu !== undefined && (await hasTaskset()) ? ['taskset', '-c', String(cpu)] : [];
}
