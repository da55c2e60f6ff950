import { createFileRegistry, type DescService, fromBinary, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readDescriptorSet, readErrorModelDescriptorSet } from '@repo/proto';

/**
 * protobuf-es's registry of every message and service in protos/, and of google.rpc's error
 * details, built at run time from the descriptor sets @repo/proto ships: Connect gets its
 * service descriptions, and the details their JSON form, without a second set of generated code
 * (ts-proto stays the only one).
 */
export function loadRegistry(): Registry {
  // Two serialized messages one after the other are one message with their repeated fields
  // joined: here, one FileDescriptorSet with the files of both.
  const sets = Buffer.concat([readDescriptorSet(), readErrorModelDescriptorSet()]);
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, sets));
}

/** A service of the registry by its full name; throws when protos/ does not define it. */
export function serviceOf(registry: Registry, typeName: string): DescService {
  const service = registry.getService(typeName);
  if (!service) throw new Error(`the descriptor set has no service ${typeName}`);
  return service;
}
