import { createServer } from 'node:net';

/** A loopback address where nothing listens: a port that was bound, then released. */
export async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `127.0.0.1:${address.port}`;
}
