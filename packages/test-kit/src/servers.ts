/**
 * What listenLocal needs of a server: server-kit's GrpcServer, without depending on it (`Tls`:
 * its TLS settings).
 */
export interface Listenable<Tls = never> {
  listen(host: string, port: number, tls?: Tls): Promise<number>;
  shutdown(graceMs: number): Promise<void>;
}

export interface Running {
  port: number;
  /** `127.0.0.1:<port>`. */
  target: string;
  /** Graceful shutdown with a short grace; safe to call twice. */
  stop(): Promise<void>;
}

/** Binds a server on 127.0.0.1 and an ephemeral port, with `tls` when given. */
export async function listenLocal<Tls>(
  server: Listenable<Tls>,
  graceMs = 1_000,
  tls?: Tls,
): Promise<Running> {
  const port = await server.listen('127.0.0.1', 0, tls);
  return { port, target: `127.0.0.1:${port}`, stop: () => server.shutdown(graceMs) };
}
