import { spawn } from 'node:child_process';

export interface CliResult {
  /** The exit code, or the signal that ended the process. */
  exit: number | string;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <script> ...args` as a child process (asynchronously: the servers it talks to may
 * run in this process), feeding it `input` on stdin. Kills it and rejects after `timeoutMs`.
 */
export function runNode(
  script: string,
  args: string[],
  {
    input = '',
    timeoutMs = 10_000,
    env = {},
  }: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
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
      reject(new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exit: code ?? signal ?? 'unknown', stdout, stderr });
    });
    child.stdin.end(input);
  });
}
