import { createFileRegistry, type DescService, fromBinary, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readDescriptorSet } from '@repo/proto';

/**
 * protobuf-es's registry of every message and service in protos/, built at run time from the
 * descriptor set @repo/proto ships: Connect gets its service descriptions without a second set
 * of generated code (ts-proto stays the only one).
 */
export function loadRegistry(): Registry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));
}

/** A service of the registry by its full name; throws when protos/ does not define it. */
export function serviceOf(registry: Registry, typeName: string): DescService {
  const service = registry.getService(typeName);
  if (!service) throw new Error(`the descriptor set has no service ${typeName}`);
  return service;
}
