const HIDDEN = new Set(['level', 'time', 'instance', 'name', 'msg']);

/**
 * A service's log line (pino JSON) made readable for a terminal, after `prefix` (the service's
 * name, say): `greeter  info  call method=/helloworld.Greeter/SayHello code=OK durationMs=0.4`.
 * A line that is not JSON is shown as it is.
 */
export function formatLogLine(line: string, prefix = ''): string {
  const head = prefix === '' ? '' : `${prefix.padEnd(8)} `;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${head}${line}`;
  }
  if (typeof entry !== 'object' || entry === null) return `${head}${line}`;
  const record = entry as Record<string, unknown>;
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${head}${String(record.level ?? '').padEnd(5)} ${String(record.msg ?? '')} ${fields.join(' ')}`.trimEnd();
}
