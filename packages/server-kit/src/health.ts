import { type Server, type ServerWritableStream, status } from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as Serving,
} from '@repo/proto';

/** What a server says of itself or of one of its services. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/**
 * gRPC's health checking protocol (grpc.health.v1.Health) for the statuses set here: Check
 * answers a service's status, or NOT_FOUND for one never set; Watch sends the status now
 * (SERVICE_UNKNOWN for one never set) and then each change of it, until the client ends the
 * call; List answers them all. One instance can serve on several servers (a health-only port).
 */
export class HealthStatuses {
  private readonly statuses = new Map<string, Serving>();
  private readonly watchers = new Map<string, Set<(status: Serving) => void>>();
  private readonly handlers: HealthServer = {
    check: ({ request }, callback) => {
      const serving = this.statuses.get(request.service);
      if (serving === undefined) {
        callback({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(request.service)}` });
        return;
      }
      callback(null, { status: serving });
    },
    list: (_call, callback) => {
      const statuses = Object.fromEntries(
        [...this.statuses].map(([service, serving]) => [service, { status: serving }]),
      );
      callback(null, { statuses });
    },
    watch: (call) => this.watch(call),
  };

  /** `service` is a service's full name, or '' for the server as a whole. */
  set(service: string, serving: ServingStatus): void {
    const value = Serving[serving];
    if (this.statuses.get(service) === value) return;
    this.statuses.set(service, value);
    for (const watcher of this.watchers.get(service) ?? []) watcher(value);
  }

  addToServer(server: Server): void {
    server.addService(HealthService, this.handlers);
  }

  private watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
    const { service } = call.request;
    const send = (serving: Serving) => call.write({ status: serving });
    let watchers = this.watchers.get(service);
    if (!watchers) {
      watchers = new Set();
      this.watchers.set(service, watchers);
    }
    watchers.add(send);
    call.once('cancelled', () => {
      watchers.delete(send);
      if (watchers.size === 0) this.watchers.delete(service);
    });
    send(this.statuses.get(service) ?? Serving.SERVICE_UNKNOWN);
  }
}
