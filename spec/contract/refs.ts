/** JSON pointers into the spec and the `$ref`s that use them. */
import { spec, type Ref, type SchemaNode } from './document';

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

const refTargets = new Map<string, unknown>();

function isRef(node: unknown): node is Ref {
  return typeof node === 'object' && node !== null && typeof (node as { $ref?: unknown }).$ref === 'string';
}

function lookUp(ref: string): unknown {
  let node: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/').map(unescapePointer)) {
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node;
}

/**
 * The node a `$ref` chain ends at (the node itself when it is no reference). The target's
 * type is the one its place in the document has: a parameter's `$ref` names a parameter.
 */
export function resolveRef<T>(node: T | Ref): T;
export function resolveRef<T>(node: T | Ref | undefined): T | undefined;
export function resolveRef<T>(node: T | Ref | undefined): T | undefined {
  let current: unknown = node;
  while (isRef(current)) {
    const ref = current.$ref;
    if (!refTargets.has(ref)) refTargets.set(ref, lookUp(ref));
    current = refTargets.get(ref);
  }
  return current as T | undefined;
}

/** The schema node at a pointer, with `$ref`s followed. */
export function schemaAt(pointer: string): SchemaNode {
  return resolveRef<SchemaNode>({ $ref: pointer });
}

export { resolveRef as resolveSchema };
