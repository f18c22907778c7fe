/**
 * Where the spec says `oneOf`/`anyOf`, a 422 gives the reasons of the branch the value was
 * meant for, never ajv's bookkeeping about the others. Walks every compound schema of the
 * spec, reached through the spec's own examples, and breaks the value there both ways: of
 * no branch's type, and meant for a branch but wrong inside it.
 */
import { formatErrors, specExamples, validatorAt, type SchemaNode } from '../contract';
import { spec } from './document';
import { deriveMutations } from '../mutations';
import { dottedSegments, type ValidationErrorItem } from './errors';
import { escapePointer, unescapePointer } from './refs';

const BOOKKEEPING =
  /must be null$|must match exactly one schema|must match a schema in anyOf|must match "then"|must pass "\w+" keyword/;

type Segment = string | number;

/** Every oneOf/anyOf in the document, by pointer. */
function compoundPointers(): string[] {
  const found: string[] = [];
  const walk = (node: unknown, pointer: string) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const here = `${pointer}/${escapePointer(key)}`;
      if ((key === 'oneOf' || key === 'anyOf') && Array.isArray(child)) found.push(here);
      walk(child, here);
    }
  };
  const document = spec as unknown as Record<string, unknown>;
  for (const root of ['paths', 'webhooks', 'components']) walk(document[root], `#/${root}`);
  return found;
}

/** The raw node at a pointer, and the pointer once `$ref`s are followed (ajv compiles by the real one). */
function nodeAt(pointer: string): { pointer: string; node: SchemaNode } {
  for (;;) {
    let node: unknown = spec;
    for (const part of pointer
      .replace(/^#\/?/, '')
      .split('/')
      .filter((p) => p !== '')
      .map(unescapePointer))
      node = (node as Record<string, unknown>)?.[part];
    const ref = (node as SchemaNode | undefined)?.$ref;
    if (typeof ref !== 'string') return { pointer, node: node as SchemaNode };
    pointer = ref;
  }
}

interface Site {
  root: string;
  where: string;
  sample: unknown;
  path: Segment[];
  compound: string;
  branches: string[];
}

/** Follows an example's value through its schema; records each compound schema it passes with a value there. */
function sitesOf(root: string, where: string, sample: unknown): Site[] {
  const sites: Site[] = [];
  const visit = (at: string, value: unknown, path: Segment[], depth: number) => {
    if (depth > 40) return;
    const found = nodeAt(at);
    const { node, pointer } = found;
    for (const keyword of ['oneOf', 'anyOf'] as const) {
      const branches = node[keyword];
      if (!branches) continue;
      const branchPointers = branches.map((b, i) => b.$ref ?? `${pointer}/${keyword}/${i}`);
      sites.push({ root, where, sample, path, compound: `${pointer}/${keyword}`, branches: branchPointers });
      for (const branch of branchPointers) if (validatorAt(branch)(value)) visit(branch, value, path, depth + 1);
    }
    for (const [i, part] of (node.allOf ?? []).entries())
      visit(part.$ref ?? `${pointer}/allOf/${i}`, value, path, depth + 1);
    if (Array.isArray(value) && node.items)
      value.forEach((item, i) => visit(`${pointer}/items`, item, [...path, i], depth + 1));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (node.properties && key in node.properties)
          visit(`${pointer}/properties/${escapePointer(key)}`, child, [...path, key], depth + 1);
        else if (node.additionalProperties && typeof node.additionalProperties === 'object')
          visit(`${pointer}/additionalProperties`, child, [...path, key], depth + 1);
      }
    }
  };
  visit(root, sample, [], 0);
  return sites;
}

function replaceAt(root: unknown, path: Segment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<Segment, unknown>;
  let node = copy;
  for (const s of path.slice(0, -1)) node = node[s] as Record<Segment, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

function valueAt(root: unknown, path: Segment[]): unknown {
  return path.reduce<unknown>((node, s) => (node as Record<Segment, unknown>)[s], root);
}

function errorsFor(root: string, body: unknown): ValidationErrorItem[] {
  const validate = validatorAt(root);
  return validate(body) ? [] : formatErrors(validate.errors, body);
}

/** A JSON value of a type none of the branches accepts. */
function ofNoBranchType(branches: string[]): unknown {
  const candidates: unknown[] = [true, 12345, 'not-this', [], { unexpected: 1 }, null];
  return candidates.find((c) => branches.every((b) => !validatorAt(b)(c)));
}

const sites = specExamples().flatMap((e) => sitesOf(e.pointer, e.where, e.value));
const compounds = compoundPointers();

test('the spec has compound schemas, and its examples reach every one of them', () => {
  expect(compounds.length).toBeGreaterThan(0);
  const reached = new Set(sites.map((s) => s.compound));
  expect(compounds.filter((c) => !reached.has(c))).toEqual([]);
});

describe.each(compounds.map((c) => [c]))('%s', (compound) => {
  const here = sites.filter((s) => s.compound === compound);

  it("a value of no branch's type gets one error naming the types, at that field", () => {
    for (const site of here) {
      const wrong = ofNoBranchType(site.branches);
      expect(wrong).not.toBeUndefined();
      const errors = errorsFor(site.root, replaceAt(site.sample, site.path, wrong));
      expect({ where: site.where, errors: errors.map((e) => [e.param, e.msg]) }).toEqual({
        where: site.where,
        errors: [[dottedSegments(site.path), expect.stringMatching(/^must be \w+( or \w+)+$/)]],
      });
    }
  });

  it("a value meant for a branch but wrong inside it gets that branch's reasons only", () => {
    let tried = 0;
    for (const site of here) {
      const value = valueAt(site.sample, site.path);
      for (const branch of site.branches.filter((b) => validatorAt(b)(value))) {
        // deriveMutations breaks fields inside a value; a scalar branch (a date-time) is broken whole, keeping its type.
        const scalarBreaks =
          typeof value === 'string'
            ? ['not-a-valid-value', `${value}!`]
                .filter((v) => !validatorAt(branch)(v))
                .slice(0, 1)
                .map((body) => ({
                  kind: 'format',
                  param: '',
                  description: `${JSON.stringify(body)} for ${branch}`,
                  body,
                }))
            : [];
        for (const mutation of [...deriveMutations(branch, value), ...scalarBreaks]) {
          // A wrong type at the compound itself is the case above.
          if (mutation.kind === 'wrong-type' && mutation.param === '') continue;
          tried++;
          const param = dottedSegments([...site.path, ...(mutation.param === '' ? [] : [mutation.param])]).replace(
            /\.\[/g,
            '[',
          );
          const errors = errorsFor(site.root, replaceAt(site.sample, site.path, mutation.body));
          const leaked = errors.filter(
            (e) =>
              BOOKKEEPING.test(e.msg) ||
              !(e.param === param || e.param.startsWith(`${param}.`) || e.param.startsWith(`${param}[`)),
          );
          expect({
            where: site.where,
            mutation: mutation.description,
            leaked,
            named: errors.some((e) => e.param === param),
          }).toEqual({ where: site.where, mutation: mutation.description, leaked: [], named: true });
        }
      }
    }
    // A compound whose examples only ever hold null has nothing inside to break.
    const nonNull = here.some((s) => valueAt(s.sample, s.path) !== null);
    if (nonNull) expect(tried).toBeGreaterThan(0);
  });
});

test('the delivery code of issue 27: {"delivery_code": "12a"} is one reason, in words', () => {
  const advance = specExamples().find((e) => /POST \/sandbox\/jobs\/\{job_id\}\/advance request/.test(e.where))!;
  expect(errorsFor(advance.pointer, { delivery_code: '12a' })).toEqual([
    { location: 'body', param: 'delivery_code', msg: 'must be exactly 4 digits', value: '12a' },
  ]);
});
