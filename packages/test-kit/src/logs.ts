export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/**
 * A pino destination (anything with `write(string)`) that keeps every line, parsed, the moment
 * pino writes it: a line logged before a status went out is there when the client sees it.
 */
export class LogSink {
  readonly lines: LogLine[] = [];

  write(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as LogLine);
    }
  }

  /** The lines with this `msg`, optionally narrowed by a predicate. */
  find(msg: string, where: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((line) => line.msg === msg && where(line));
  }
}
