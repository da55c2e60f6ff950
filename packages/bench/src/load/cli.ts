#!/usr/bin/env node
import { runCli } from '@repo/client-kit';
import { HELP, parseLoadArgs } from './cli-args';
import { formatProgress, formatResult } from './report';
import { runLoad } from './run-load';

async function main(argv: string[]): Promise<void> {
  const command = parseLoadArgs(argv);
  if (command.help) {
    process.stdout.write(HELP);
    return;
  }
  // The first Ctrl-C ends the measurement early and still reports; a second one kills as usual.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  const result = await runLoad({
    ...command.options,
    signal: interrupt.signal,
    onProgress: (progress) => process.stderr.write(`${formatProgress(progress)}\n`),
  });
  process.stdout.write(command.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
  const failed = Object.values(result.errors).reduce((sum, n) => sum + n, 0);
  if (failed > 0) throw new Error(`${failed} calls failed`);
}

runCli('grpc-load', main);
