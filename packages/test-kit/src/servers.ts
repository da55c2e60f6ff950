/** What listenLocal needs of a server: server-kit's GrpcServer, without depending on it. */
export interface Listenable {
  listen(host: string, port: number): Promise<number>;
  shutdown(graceMs: number): Promise<void>;
}

export interface Running {
  port: number;
  /** `127.0.0.1:<port>`. */
  target: string;
  /** Graceful shutdown with a short grace; safe to call twice. */
  stop(): Promise<void>;
}

/** Binds a server on 127.0.0.1 and an ephemeral port. */
export async function listenLocal(server: Listenable, graceMs = 1_000): Promise<Running> {
  const port = await server.listen('127.0.0.1', 0);
  return { port, target: `127.0.0.1:${port}`, stop: () => server.shutdown(graceMs) };
}
