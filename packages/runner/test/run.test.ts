import { run, runNode } from '../src';

describe('run', () => {
  it('resolves with the exit code and both outputs, feeding stdin', async () => {
    const result = await runNode(
      '-e',
      ['process.stdin.pipe(process.stdout); console.error("err"); process.exitCode = 4'],
      {
        input: 'in',
      },
    );
    expect(result).toEqual({ exit: 4, stdout: 'in', stderr: 'err\n' });
  });

  it('passes the environment on', async () => {
    const result = await run('/bin/sh', ['-c', 'printf %s "$RUN_TEST"'], { env: { RUN_TEST: 'value' } });
    expect(result.stdout).toBe('value');
  });

  it('kills and rejects a command that outlives its timeout', async () => {
    await expect(run('/bin/sleep', ['30'], { timeoutMs: 200 })).rejects.toThrow(/did not exit within 200 ms/);
  });

  it('rejects when the command cannot be started', async () => {
    await expect(run('/nonexistent/command', [])).rejects.toThrow(/ENOENT/);
  });
});
