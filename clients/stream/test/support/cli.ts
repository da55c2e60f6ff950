import { join } from 'node:path';
import { type RunResult, runNode } from '@repo/runner';

/** The built CLI of this package. */
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

/** Runs this package's CLI as a child process: see runNode. */
export function runCli(args: string[], options?: Parameters<typeof runNode>[2]): Promise<RunResult> {
  return runNode(CLI, args, options);
}
