import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now: bound, then released (another process may take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A loopback address where nothing listens: a port that was bound, then released. */
export async function closedAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}
