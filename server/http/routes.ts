/**
 * The API's routes as one table, compiled once from the spec's operations: a request's
 * method and path find their operation and decoded path parameters in one look-up, instead
 * of Express trying one route layer after another.
 *
 * It matches exactly as Express's router did with a route per operation (routes tried in
 * the spec's order, case-insensitive, one optional trailing slash, a parameter is one
 * non-empty segment, HEAD served by GET), so routing behaves as before.
 */

export interface RouteEntry<T> {
  method: string; // upper case
  path: string; // OpenAPI template, e.g. /jobs/{job_id}
  target: T;
}

export type RouteMatch<T> =
  | { kind: 'route'; target: T; params: Record<string, string> }
  /** The path is the API's, the method is not: `allow` lists the ones it has. */
  | { kind: 'method-not-allowed'; allow: string };

interface CompiledPath<T> {
  regex: RegExp;
  names: string[];
  byMethod: Map<string, T>;
  allow: string;
}

/** Raised for a path segment that is not valid percent-encoding (as Express's router words it). */
export class ParamDecodeError extends Error {
  readonly status = 400;
  readonly statusCode = 400;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function segmentCount(pathname: string): number {
  const end =
    pathname.length > 1 && pathname.charCodeAt(pathname.length - 1) === 0x2f ? pathname.length - 1 : pathname.length;
  let count = 0;
  for (let i = 0; i < end; i++) if (pathname.charCodeAt(i) === 0x2f) count += 1;
  return count;
}

function decodeParam(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ParamDecodeError(`Failed to decode param '${raw}'`);
  }
}

export class RouteTable<T> {
  /** Paths by their number of segments, each list in the spec's order. */
  private readonly bySegments = new Map<number, CompiledPath<T>[]>();

  constructor(entries: ReadonlyArray<RouteEntry<T>>) {
    const byTemplate = new Map<string, CompiledPath<T>>();
    for (const { method, path, target } of entries) {
      let compiled = byTemplate.get(path);
      if (!compiled) {
        const names: string[] = [];
        const pattern = path
          .split(/(\{\w+\})/)
          .map((part) => {
            const param = /^\{(\w+)\}$/.exec(part);
            if (!param) return escapeRegex(part);
            names.push(param[1]);
            return '([^/]+)';
          })
          .join('');
        compiled = { regex: new RegExp(`^${pattern}/?$`, 'i'), names, byMethod: new Map(), allow: '' };
        byTemplate.set(path, compiled);
        const count = segmentCount(path);
        this.bySegments.set(count, [...(this.bySegments.get(count) ?? []), compiled]);
      }
      compiled.byMethod.set(method, target);
    }
    for (const compiled of byTemplate.values()) {
      const methods = [...compiled.byMethod.keys()];
      compiled.allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
    }
  }

  /**
   * The operation for a request, or null when the path is none of the API's. Throws
   * `ParamDecodeError` when a matching path's parameter is not valid percent-encoding.
   */
  match(method: string, pathname: string): RouteMatch<T> | null {
    const candidates = this.bySegments.get(segmentCount(pathname));
    if (!candidates) return null;
    let firstMatched: CompiledPath<T> | null = null;
    for (const compiled of candidates) {
      const found = compiled.regex.exec(pathname);
      if (!found) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < compiled.names.length; i++) params[compiled.names[i]] = decodeParam(found[i + 1]);
      const target = compiled.byMethod.get(method) ?? (method === 'HEAD' ? compiled.byMethod.get('GET') : undefined);
      if (target !== undefined) return { kind: 'route', target, params };
      firstMatched ??= compiled;
    }
    return firstMatched ? { kind: 'method-not-allowed', allow: firstMatched.allow } : null;
  }
}
