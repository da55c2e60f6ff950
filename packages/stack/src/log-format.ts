const HIDDEN = new Set(['level', 'time', 'instance', 'name', 'msg']);

/**
 * One service log line (pino JSON) made readable for a terminal:
 * `greeter  info  call method=/helloworld.Greeter/SayHello code=OK durationMs=0.4 ...`.
 * A line that is not JSON is shown as it is.
 */
export function formatLogLine(service: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${service.padEnd(8)} ${line}`;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${service.padEnd(8)} ${String(entry.level ?? '').padEnd(5)} ${String(entry.msg ?? '')} ${fields.join(' ')}`.trimEnd();
}
