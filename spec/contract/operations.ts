/** The spec's operations, indexed once: method, path, parameters, and the pointer of each body schema. */
import type { components, operations as GeneratedOperations } from '../types.gen';
import {
  HTTP_METHODS,
  spec,
  type HeaderObject,
  type HttpMethod,
  type OperationObject,
  type ParameterObject,
  type ResponseObject,
} from './document';
import { escapePointer, resolveRef } from './refs';

export type Schemas = components['schemas'];

/** The ids of the API's operations (the spec's webhooks are operations too, named `on…`). */
export type OperationId = Exclude<keyof GeneratedOperations, `on${string}`>;

export interface Parameter {
  name: string;
  pointer: string;
  required: boolean;
}

export interface Operation {
  operationId: OperationId;
  method: string; // upper case
  path: string; // OpenAPI template, e.g. /jobs/{job_id}
  tags: string[];
  /** Sandbox-only operations (tags Sandbox or Operations). */
  sandbox: boolean;
  /** Whether the operation needs the x-api-key header. */
  secured: boolean;
  requestBody: { required: boolean; pointer: string } | null;
  /** Status code (as a string) to the JSON pointer of its body schema, or null for no body. */
  responses: Record<string, string | null>;
  /** Status code to the headers its response must carry (e.g. `location` on a 201), in lower case. */
  requiredResponseHeaders: Record<string, string[]>;
  queryParameters: Parameter[];
  /** Header parameters the operation declares (e.g. `Idempotency-Key`), names in lower case. */
  headerParameters: Parameter[];
  pathParameters: string[];
}

/** The operation's own parameters of one kind, each with the pointer of its schema. */
function parametersIn(op: OperationObject, base: string, where: 'query' | 'header'): Parameter[] {
  return (op.parameters ?? [])
    .map((p, i) => ({ resolved: resolveRef<ParameterObject>(p), i }))
    .filter(({ resolved }) => resolved.in === where)
    .map(({ resolved, i }) => ({
      name: resolved.name,
      required: Boolean(resolved.required),
      pointer: `${base}/parameters/${i}/schema`,
    }));
}

function indexResponses(op: OperationObject, base: string): Pick<Operation, 'responses' | 'requiredResponseHeaders'> {
  const responses: Record<string, string | null> = {};
  const requiredResponseHeaders: Record<string, string[]> = {};
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    const resolved = resolveRef<ResponseObject>(response);
    requiredResponseHeaders[status] = Object.entries(resolved.headers ?? {})
      .filter(([, header]) => resolveRef<HeaderObject>(header)?.required)
      .map(([name]) => name.toLowerCase());
    const responseBase = '$ref' in response ? response.$ref : `${base}/responses/${status}`;
    responses[status] = resolved.content?.['application/json']?.schema
      ? `${responseBase}/content/application~1json/schema`
      : null;
  }
  return { responses, requiredResponseHeaders };
}

function indexOperations(): Operation[] {
  const indexed: Operation[] = [];
  for (const [path, pathItem] of Object.entries(spec.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const base = `#/paths/${escapePointer(path)}/${method}`;
      const params = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
        resolveRef<ParameterObject>(p),
      );
      const body = op.requestBody ? resolveRef(op.requestBody) : null;
      const tags = op.tags ?? [];
      indexed.push({
        // The generated OperationId union is the same list, read from the same file.
        operationId: op.operationId as OperationId,
        method: method.toUpperCase(),
        path,
        tags,
        sandbox: tags.some((t) => t === 'Sandbox' || t === 'Operations'),
        secured: !(Array.isArray(op.security) && op.security.length === 0),
        requestBody: body
          ? { required: Boolean(body.required), pointer: `${base}/requestBody/content/application~1json/schema` }
          : null,
        ...indexResponses(op, base),
        queryParameters: parametersIn(op, base, 'query'),
        headerParameters: parametersIn(op, base, 'header').map((p) => ({ ...p, name: p.name.toLowerCase() })),
        pathParameters: params.filter((p) => p.in === 'path').map((p) => p.name),
      });
    }
  }
  return indexed;
}

export const operations: Operation[] = indexOperations();
export const operationsById: ReadonlyMap<string, Operation> = new Map(operations.map((o) => [o.operationId, o]));

export function getOperation(operationId: string): Operation {
  const op = operationsById.get(operationId);
  if (!op) throw new Error(`No operation ${operationId} in the spec`);
  return op;
}

/** The operation object itself, as the document spells it. */
export function operationObject(op: Operation): OperationObject {
  const found = spec.paths[op.path]?.[op.method.toLowerCase() as HttpMethod];
  if (!found) throw new Error(`No ${op.method} ${op.path} in the spec`);
  return found;
}

/**
 * A job's lifecycle in order: CREATED, then the spec's LifecycleStep enum (JobState lists
 * the same order, then the out-of-band CANCELLED).
 */
export const LIFECYCLE: readonly Schemas['JobState'][] = Object.freeze([
  'CREATED',
  ...(spec.components.schemas.LifecycleStep.enum as Schemas['LifecycleStep'][]),
]);

/** Every job state, as the spec's JobState enum lists them: the lifecycle, then the out-of-band states. */
export const JOB_STATES: readonly Schemas['JobState'][] = Object.freeze([
  ...(spec.components.schemas.JobState.enum as Schemas['JobState'][]),
]);

/**
 * The states a job never leaves, as the spec's JobState describes them: the lifecycle's
 * last step (CLIENT_RECEIVED) and every out-of-band state (CANCELLED).
 */
export const FINAL_STATES: readonly Schemas['JobState'][] = Object.freeze([
  LIFECYCLE[LIFECYCLE.length - 1],
  ...JOB_STATES.filter((state) => !LIFECYCLE.includes(state)),
]);

/** The names of the webhook event types, as the spec's `webhooks:` section lists them. */
export const webhookEventTypes: string[] = Object.keys(spec.webhooks ?? {});

const operationMatchers = operations.map((op) => ({
  op,
  regex: new RegExp(`^${op.path.replace(/\./g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The operation a request is for, by method and path (query string ignored). */
export function findOperation(method: string, path: string): Operation | undefined {
  const bare = path.split('?')[0];
  const upper = method.toUpperCase();
  // Literal paths win over templated ones (`/jobs/availability/v2` before `/jobs/{job_id}`).
  let best: Operation | undefined;
  for (const { op, regex } of operationMatchers) {
    if (op.method !== upper || !regex.test(bare)) continue;
    if (!best || op.pathParameters.length < best.pathParameters.length) best = op;
  }
  return best;
}
