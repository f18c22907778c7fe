/**
 * spec/openapi.yaml, loaded once, seen through the types of the parts the code reads. The
 * document is linted against OpenAPI 3.1 (`npm run spec:lint`), so these shapes describe it;
 * every other keyword stays reachable as `unknown`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamedExamples } from './example-schemas';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Ref {
  $ref: string;
}

/** A JSON Schema node as the code reads it; a `$ref` is followed with `resolveSchema`. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: string[];
  maxItems?: number;
  maxProperties?: number;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  description?: string;
  [keyword: string]: unknown;
}

export interface ExampleObject {
  summary?: string;
  value: unknown;
}

export interface MediaTypeObject {
  schema?: SchemaNode;
  examples?: Record<string, ExampleObject | Ref>;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaNode;
  example?: unknown;
}

export interface HeaderObject {
  required?: boolean;
  schema?: SchemaNode;
}

export interface RequestBodyObject {
  required?: boolean;
  content?: Record<string, MediaTypeObject>;
}

export interface ResponseObject {
  description?: string;
  headers?: Record<string, HeaderObject | Ref>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Array<ParameterObject | Ref>;
  requestBody?: RequestBodyObject | Ref;
  responses?: Record<string, ResponseObject | Ref>;
}

export type PathItem = { [M in HttpMethod]?: OperationObject } & { parameters?: Array<ParameterObject | Ref> };

export interface SpecDocument {
  openapi: string;
  info: { title: string; version: string; [field: string]: unknown };
  servers?: Array<{ url: string; description?: string }>;
  paths: Record<string, PathItem>;
  webhooks?: Record<string, PathItem>;
  components: {
    schemas: Record<string, SchemaNode>;
    /** Each named example read as the generated type of the schema it illustrates. */
    examples: NamedExamples;
    parameters?: Record<string, ParameterObject>;
    responses?: Record<string, ResponseObject>;
    [section: string]: unknown;
  };
}

export const SPEC_PATH = join(__dirname, '..', 'openapi.yaml');
export const specText: string = readFileSync(SPEC_PATH, 'utf8');
/** Written by the build beside the YAML: parsing YAML was about a third of the server's start-up. */
const PARSED_SPEC_PATH = join(__dirname, '..', 'openapi.parsed.json');

function parseSpec(): unknown {
  if (existsSync(PARSED_SPEC_PATH)) return JSON.parse(readFileSync(PARSED_SPEC_PATH, 'utf8'));
  const { parse } = require('yaml') as typeof import('yaml');
  return parse(specText);
}

// The one unchecked step: the parsed document is taken to be the OpenAPI document the lint passed.
export const spec = parseSpec() as SpecDocument;
