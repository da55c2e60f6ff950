import { type RunResult, runNode } from '@repo/runner';

/**
 * Runs `node <entry>` with this environment (on 127.0.0.1, port 0, over ours) to its exit. For
 * processes that are expected to stop on their own, which spawnService (waiting for "serving")
 * cannot observe.
 */
export function runToExit(entry: string, env: Record<string, string>): Promise<RunResult> {
  return runNode(entry, [], { env: { HOST: '127.0.0.1', PORT: '0', ...env }, timeoutMs: 5_000 });
}
