import { spawn } from 'node:child_process';

/** How a command that ran to completion ended. */
export interface RunResult {
  /** The exit code, or the signal that ended the process. */
  exit: number | string;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin, which is then closed (default: nothing). */
  input?: string;
  /** Killed (SIGKILL) and rejected after this many ms (default 10000). */
  timeoutMs?: number;
  /** More environment, over this process's. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

/**
 * Runs `command args` to completion, asynchronously (the servers it talks to may run in this
 * process), and resolves with its exit and output whatever the exit code. Rejects when it cannot
 * be started, or when it is still running after `timeoutMs` (it is killed then).
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { input = '', timeoutMs = 10_000, env = {}, cwd } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${[command, ...args].join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`),
      );
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exit: code ?? signal ?? 'unknown', stdout, stderr });
    });
    // A command that exits without reading its stdin must not fail the run with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** `run` for a Node.js script, with this process's `node`. */
export function runNode(script: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run(process.execPath, [script, ...args], options);
}
