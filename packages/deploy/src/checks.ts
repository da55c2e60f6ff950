import { parse } from 'yaml';
import { containerPortOf, deployments, environmentOf, services, workloads } from './objects';
import type { K8sObject } from './render';
import { isStandardVariable, READERS, variablesReadBy } from './services';

/**
 * Checks of what the API schema cannot say. Each takes the rendered objects of one variant and
 * returns its problems, one sentence each; an empty list: it holds.
 */

/** Every Deployment container has startup, readiness and liveness probes, gRPC, on a declared containerPort. */
export function checkProbes(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter((w) => w.kind === 'Deployment')) {
    for (const c of w.pod.containers) {
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const probe = c[kind];
        if (probe === undefined) problems.push(`${w.name}/${c.name}: no ${kind}`);
        else if (probe.grpc === undefined) problems.push(`${w.name}/${c.name}: ${kind} is not a gRPC probe`);
        else if (containerPortOf(c, probe.grpc.port) === undefined) {
          problems.push(`${w.name}/${c.name}: ${kind} port ${probe.grpc.port} is not a containerPort`);
        }
      }
    }
  }
  return problems;
}

/**
 * Shutdown fits: terminationGracePeriodSeconds is longer than the preStop pause plus
 * SHUTDOWN_GRACE_MS (the kubelet counts the pause in the grace period), and there is a pause.
 */
export function checkShutdown(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter((w) => w.kind === 'Deployment')) {
    const read = READERS[w.name];
    for (const c of w.pod.containers) {
      if (read === undefined) continue;
      const pause = c.lifecycle?.preStop?.sleep?.seconds;
      if (pause === undefined)
        problems.push(`${w.name}/${c.name}: no preStop sleep for the endpoint-removal race`);
      const graceS = read(environmentOf(objects, c).env).shutdownGraceMs / 1000;
      const period = w.pod.terminationGracePeriodSeconds ?? 30;
      if (period <= (pause ?? 0) + graceS) {
        problems.push(
          `${w.name}: terminationGracePeriodSeconds ${period} is not longer than preStop ${pause ?? 0} s + SHUTDOWN_GRACE_MS ${graceS} s`,
        );
      }
    }
  }
  return problems;
}

/**
 * Every variable a Deployment sets is one its service reads (found by running the service's own
 * parser), or a standard OTEL_* one; the parser accepts the values; the ports it reads are the
 * container's `grpc` and `metrics` ports.
 */
export function checkEnvironment(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const d of deployments(objects)) {
    const read = READERS[d.metadata.name];
    if (read === undefined) {
      problems.push(`Deployment ${d.metadata.name}: no service parser is known for it`);
      continue;
    }
    const known = variablesReadBy(read);
    for (const c of d.spec?.template.spec?.containers ?? []) {
      const { env, missing } = environmentOf(objects, c);
      for (const m of missing) problems.push(`${d.metadata.name}/${c.name}: ${m} is not in the render`);
      for (const name of Object.keys(env)) {
        if (!known.has(name) && !isStandardVariable(name)) {
          problems.push(`${d.metadata.name}/${c.name}: ${name} is not read by the service`);
        }
      }
      try {
        const config = read(env);
        if (containerPortOf(c, 'grpc')?.containerPort !== config.port) {
          problems.push(
            `${d.metadata.name}/${c.name}: PORT ${config.port} is not the containerPort named grpc`,
          );
        }
        if (containerPortOf(c, 'metrics')?.containerPort !== config.metricsPort) {
          problems.push(
            `${d.metadata.name}/${c.name}: METRICS_PORT ${config.metricsPort} is not the containerPort named metrics`,
          );
        }
      } catch (err: unknown) {
        problems.push(`${d.metadata.name}/${c.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return problems;
}

/**
 * The Greeter's Service is headless and selects the Greeter's pods on its gRPC port, and the
 * stream service's (and the clients') GREETER_ADDR is exactly
 * dns:///greeter.<its namespace>.svc.cluster.local:<that port>.
 */
export function checkGreeterAddress(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const service = services(objects).find((s) => s.metadata.name === 'greeter');
  const greeter = workloads(objects).find((w) => w.kind === 'Deployment' && w.name === 'greeter');
  if (service === undefined || greeter === undefined) return ['no Service and Deployment named greeter'];
  if (service.spec?.clusterIP !== 'None') problems.push('Service greeter is not headless (clusterIP: None)');
  const selector = service.spec?.selector ?? {};
  if (
    Object.entries(selector).some(([k, v]) => greeter.labels[k] !== v) ||
    Object.keys(selector).length === 0
  ) {
    problems.push("Service greeter's selector does not select the greeter pods");
  }
  const grpc = service.spec?.ports?.find((p) => p.name === 'grpc');
  const container = greeter.pod.containers[0];
  if (
    grpc === undefined ||
    container === undefined ||
    containerPortOf(container, grpc.targetPort)?.containerPort !== grpc.port
  ) {
    problems.push("Service greeter's grpc port is not the greeter container's grpc port (port = targetPort)");
  }
  const expected = `dns:///greeter.${service.metadata.namespace}.svc.cluster.local:${grpc?.port}`;
  for (const w of workloads(objects)) {
    for (const c of w.pod.containers) {
      const addr = environmentOf(objects, c).env.GREETER_ADDR;
      if (addr !== undefined && addr !== expected) {
        problems.push(`${w.name}/${c.name}: GREETER_ADDR is ${addr}, not ${expected}`);
      }
    }
  }
  if (!workloads(objects).some((w) => w.name === 'stream')) problems.push('no stream Deployment');
  return problems;
}

/** What every pod must hold, container by container. */
export function checkSecurity(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.pod;
    const where = `${w.kind} ${w.name}`;
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken is not false`);
    if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) {
      problems.push(`${where}: shares a host namespace`);
    }
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const at = `${where}/${c.name}`;
      const s = { ...pod.securityContext, ...c.securityContext };
      if (s.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (s.runAsUser !== 1000) problems.push(`${at}: runAsUser is not 1000 (the image's node user)`);
      if (s.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${at}: seccompProfile is not RuntimeDefault`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (c.securityContext?.privileged === true) problems.push(`${at}: privileged`);
      if (!(c.securityContext?.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${at}: capabilities do not drop ALL`);
      if ((c.securityContext?.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined)
            problems.push(`${at}: no ${resource} ${kind.slice(0, -1)}`);
        }
      }
    }
  }
  return problems;
}

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  command?: string[];
}

/**
 * The images are docker-compose.yml's (the same repository; with `tag`, also that tag, the one
 * compose gives them by default), the services listen on compose's PORT, and the greeter-client
 * runs compose's command.
 */
export function checkCompose(objects: readonly K8sObject[], composeYaml: string, tag?: string): string[] {
  const compose = parse(composeYaml) as { services: Record<string, ComposeService> };
  const problems: string[] = [];
  for (const name of ['greeter', 'stream', 'greeter-client', 'stream-client']) {
    const want = compose.services[name];
    const w = workloads(objects).find((w) => w.name === name);
    const c = w?.pod.containers[0];
    if (want?.image === undefined || c === undefined) {
      problems.push(`${name}: not in both docker-compose.yml and the render`);
      continue;
    }
    // grpc-monorepo/greeter:${IMAGE_TAG:-local} -> grpc-monorepo/greeter, local
    const match = /^([^:$]+):\$\{[A-Z_]+:-([^}]+)\}$/.exec(want.image);
    const [repository, composeTag] = [match?.[1] ?? want.image, match?.[2]];
    const [image, imageTag] = (c.image ?? '').split(':');
    if (image !== repository) problems.push(`${name}: image ${c.image} is not compose's ${repository}`);
    if (tag !== undefined && (imageTag !== tag || composeTag !== tag)) {
      problems.push(`${name}: image tag ${imageTag} is not ${tag} (compose: ${composeTag})`);
    }
    const port = want.environment?.PORT;
    if (port !== undefined && containerPortOf(c, 'grpc')?.containerPort !== Number(port)) {
      problems.push(`${name}: the grpc containerPort is not compose's PORT ${port}`);
    }
    if (name === 'greeter-client' && JSON.stringify(c.args) !== JSON.stringify(want.command)) {
      problems.push(
        `${name}: args ${JSON.stringify(c.args)} are not compose's command ${JSON.stringify(want.command)}`,
      );
    }
  }
  return problems;
}

/** Every check above (compose's with the dev overlay's tag where given). */
export function checkAll(objects: readonly K8sObject[], composeYaml: string, tag?: string): string[] {
  return [
    ...checkProbes(objects),
    ...checkShutdown(objects),
    ...checkEnvironment(objects),
    ...checkGreeterAddress(objects),
    ...checkSecurity(objects),
    ...checkCompose(objects, composeYaml, tag),
  ];
}
