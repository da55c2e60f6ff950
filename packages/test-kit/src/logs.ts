import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A pino destination that keeps every line, parsed, for assertions. */
export class LogSink extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as LogLine);
    }
    callback();
  }

  /** The lines with this `msg`, optionally narrowed by a predicate. */
  find(msg: string, where: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((line) => line.msg === msg && where(line));
  }
}
