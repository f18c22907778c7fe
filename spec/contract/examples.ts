/** The spec's examples: every one with the schema it illustrates, and the named ones typed. */
import {
  HTTP_METHODS,
  spec,
  type ExampleObject,
  type MediaTypeObject,
  type OperationObject,
  type ResponseObject,
} from './document';
import type { ExampleName, ExampleValue } from './example-schemas';
import { escapePointer, resolveRef } from './refs';

export { EXAMPLE_SCHEMAS, type ExampleName, type ExampleValue } from './example-schemas';

/** A fresh copy of a named example (`components.examples`), as its generated type. */
export function example<N extends ExampleName>(name: N): ExampleValue<N> {
  const found = spec.components.examples[name];
  if (!found) throw new Error(`the spec has no example ${name}`);
  return structuredClone(found.value);
}

/** Every example in the spec with the pointer of the schema it illustrates. */
export function specExamples(): Array<{ where: string; pointer: string; value: unknown }> {
  const found: Array<{ where: string; pointer: string; value: unknown }> = [];
  const visitMedia = (media: MediaTypeObject | undefined, mediaPointer: string, where: string) => {
    if (!media?.schema) return;
    for (const [name, ex] of Object.entries(media.examples ?? {})) {
      found.push({
        where: `${where} example ${name}`,
        pointer: `${mediaPointer}/schema`,
        value: resolveRef<ExampleObject>(ex).value,
      });
    }
  };
  const visitOperation = (op: OperationObject, base: string, where: string) => {
    if (op.requestBody) {
      const body = resolveRef(op.requestBody);
      const bodyBase = '$ref' in op.requestBody ? op.requestBody.$ref : `${base}/requestBody`;
      visitMedia(body.content?.['application/json'], `${bodyBase}/content/application~1json`, `${where} request`);
    }
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const resolved = resolveRef<ResponseObject>(response);
      const responseBase =
        '$ref' in response && typeof response.$ref === 'string' ? response.$ref : `${base}/responses/${status}`;
      visitMedia(
        resolved.content?.['application/json'],
        `${responseBase}/content/application~1json`,
        `${where} ${status}`,
      );
    }
  };
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op) visitOperation(op, `#/paths/${escapePointer(path)}/${method}`, `${method.toUpperCase()} ${path}`);
    }
  }
  for (const [name, item] of Object.entries(spec.webhooks ?? {})) {
    if (item.post) visitOperation(item.post, `#/webhooks/${escapePointer(name)}/post`, `webhook ${name}`);
  }
  for (const [name, param] of Object.entries(spec.components.parameters ?? {})) {
    if (param.example !== undefined)
      found.push({
        where: `parameter ${name}`,
        pointer: `#/components/parameters/${name}/schema`,
        value: param.example,
      });
  }
  return found;
}
