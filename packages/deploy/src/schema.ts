import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { K8sObject } from './render';

/**
 * The schema: kubernetes-models 4.5.1, generated from the OpenAPI of Kubernetes 1.33 (it has
 * Lifecycle.stopSignal, new in 1.33, and not EnvVarSource.fileKeyRef, new in 1.34; its README's
 * badge still says 1.27.1). Its ajv validators check types, enums and required fields, but, like
 * the API's OpenAPI, they leave objects open to unknown fields.
 */
export const SCHEMA = { library: 'kubernetes-models@4.5.1', kubernetes: '1.33' } as const;

interface Validatable {
  prototype: { validate(): void };
}

const MODELS: Record<string, Validatable> = {
  'apps/v1 Deployment': Deployment,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1 Job': Job,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'v1 ConfigMap': ConfigMap,
  'v1 Namespace': Namespace,
  'v1 Secret': Secret,
  'v1 Service': Service,
  'v1 ServiceAccount': ServiceAccount,
};

/**
 * The problems of one object against the API schema; none: valid. Unknown fields (a misspelled
 * `readinesProbe`, which the API server would drop or, with strict field validation, reject) are
 * found by watching the schema's own validator: every field it looks up is one the schema
 * declares, and an object whose keys it enumerates is a map (labels, data). A field of a
 * declared object that the validator never looked at is unknown. That check runs only on an
 * object that passed the type check, since a failing validator stops early.
 */
export function validateObject(object: K8sObject): string[] {
  const where = `${object.kind}/${object.metadata?.name}`;
  const model = MODELS[`${object.apiVersion} ${object.kind}`];
  if (model === undefined) return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  const visits = new WeakMap<object, { fields: Set<string>; map: boolean }>();
  const watch = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const visit = { fields: new Set<string>(), map: false };
    visits.set(value, visit);
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') visit.fields.add(key);
        return watch(Reflect.get(target, key, receiver));
      },
      ownKeys(target) {
        visit.map = true;
        return Reflect.ownKeys(target);
      },
    });
  };
  try {
    // The model's constructor would copy the object: run its validator on the watched original.
    model.prototype.validate.call(watch(object));
  } catch (err: unknown) {
    return [`${where}: ${err instanceof Error ? err.message : String(err)}`];
  }
  const unknown: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    const visit = visits.get(value);
    if (visit === undefined) return;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}/${i}`);
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (visit.map || visit.fields.has(key)) walk(child, `${path}/${key}`);
      else unknown.push(`${where}: unknown field ${path}/${key}`);
    }
  };
  walk(object, '');
  return unknown;
}

export function validateAll(objects: readonly K8sObject[]): string[] {
  return objects.flatMap(validateObject);
}
