import { join } from 'node:path';
import { Greeter } from '@repo/greeter-client';
import { type ServiceProcess, spawnService } from '@repo/test-kit';

/** The built Greeter (dist/main.js). */
const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** What an attack suite measures against: the Greeter in a process of its own, and a client. */
export interface AttackedGreeter {
  service: ServiceProcess;
  greeter: Greeter;
  /** Its RSS once it has served a call: memory after an attack is compared with this. */
  baseline: number;
}

/** Starts the built Greeter with `env`, greets once through the client library, reads its RSS. */
export async function startAttackedGreeter(env: Record<string, string> = {}): Promise<AttackedGreeter> {
  const service = await spawnService(MAIN, env);
  const greeter = new Greeter({ target: service.target });
  await greeter.sayHello('warm-up');
  return { service, greeter, baseline: (await service.stats()).rss };
}
