/**
 * Before the first check, two calls tell whether the base URL reaches an implementation of
 * the contract at all. A wrong path or port that still answers HTTP (a prefix such as /api
 * left out, another service) would otherwise fail every check with the same 404. The run
 * stops only on an answer no implementation of the contract gives, judged by the spec alone:
 * a buggy implementation at the right URL still gets its report.
 */
import { randomBytes } from 'node:crypto';
import { getOperation, type OperationId } from '../../spec/contract';
import { errorCode } from '../../client/api';
import { connectionCause, HttpClient, type HttpReply } from '../../client/transport';

/** The implementation gave no HTTP answer at all: nothing can be judged. */
export class UnreachableError extends Error {}

/** The base URL answers HTTP, but not as any implementation of the contract would. */
export class WrongBaseUrlError extends UnreachableError {}

export function probeKey(): string {
  return `conform_${randomBytes(12).toString('hex')}`;
}

const SHOWN_BODY_CHARS = 80;

/** What came back, in a few words: status, media type and the start of the body. */
function answered(reply: HttpReply): string {
  const type = reply.headers['content-type'];
  const body = reply.text.replace(/\s+/g, ' ').trim();
  const start = body.length > SHOWN_BODY_CHARS ? `${body.slice(0, SHOWN_BODY_CHARS)}…` : body;
  return `${reply.status}${type ? ` ${type}` : ''}${start ? ` ${JSON.stringify(start)}` : ' with no body'}`;
}

/**
 * Why no implementation of the contract answers `operationId` this way, or undefined when one
 * may: a documented path answered as an unknown route (`ROUTE_NOT_FOUND` is the contract's
 * code for a path it does not have), or a status the spec documents with a JSON body answered
 * with something that is not JSON (an HTML page). An undocumented status, and a gateway's
 * answer, are left to the checks.
 */
export function notTheContract(operationId: OperationId, reply: HttpReply): string | undefined {
  const op = getOperation(operationId);
  const documented = Object.hasOwn(op.responses, String(reply.status));
  if (reply.status === 404 && errorCode(reply.json) === 'ROUTE_NOT_FOUND')
    return `${op.method} ${op.path} is a path of the contract, but the answer says there is no such route`;
  // A 5xx or a 408 may come from a proxy in front of the implementation, and says nothing of the path.
  const fromTheImplementation = reply.status < 500 && reply.status !== 408;
  if (documented && fromTheImplementation && op.responses[String(reply.status)] !== null && reply.json === undefined)
    return `the spec documents a JSON body for ${op.method} ${op.path} ${reply.status}, and this is not JSON`;
  return undefined;
}

function wrongBaseUrl(baseUrl: string, url: string, reply: HttpReply, why: string, also = ''): WrongBaseUrlError {
  return new WrongBaseUrlError(
    `${baseUrl} does not answer as an implementation of the contract: GET ${url} answered ${answered(reply)}; ${why}. ` +
      `Check --base-url: its path (a prefix such as /api left out or added) and its port (another service)${also}. Nothing was run.`,
  );
}

/**
 * Whether the implementation opens a tenant for any key (a random key reading an unknown job
 * gets 404 when it does, 401 when keys are restricted, undefined for any other answer), after
 * making sure the base URL reaches an implementation of the contract. No answer at all is an
 * UnreachableError; an answer no implementation gives, a WrongBaseUrlError. GET /healthz, a
 * sandbox operation, is asked only when the run uses the sandbox (`usesSandbox`): an
 * implementation of the production operations alone has no /healthz.
 */
export async function probeImplementation(
  baseUrl: string,
  timeoutMs: number,
  usesSandbox: boolean,
): Promise<boolean | undefined> {
  const http = new HttpClient(baseUrl, timeoutMs);
  const path = `/jobs/conform-probe-${randomBytes(6).toString('hex')}`;
  let reply: HttpReply;
  try {
    reply = await http.request({
      method: 'GET',
      path,
      headers: { 'x-api-key': probeKey(), accept: 'application/json' },
    });
  } catch (error) {
    throw new UnreachableError(`cannot reach ${baseUrl}: ${connectionCause(error, timeoutMs)}`);
  }
  const why = notTheContract('getJob', reply);
  if (why) throw wrongBaseUrl(baseUrl, http.url(path), reply, why);

  if (usesSandbox) {
    let health: HttpReply | undefined;
    try {
      health = await http.request({ method: 'GET', path: '/healthz', headers: { accept: 'application/json' } });
    } catch {
      // The first call was answered; a checks' failure will say what this one did.
    }
    const unhealthy =
      health === undefined
        ? undefined
        : health.status === 404
          ? 'GET /healthz is a path of the contract, which every implementation of the sandbox answers'
          : notTheContract('getHealth', health);
    if (health && unhealthy)
      throw wrongBaseUrl(
        baseUrl,
        http.url('/healthz'),
        health,
        unhealthy,
        '; an implementation without the /sandbox controls (production) is judged with --level contract',
      );
  }
  if (reply.status === 404) return true;
  if (reply.status === 401) return false;
  return undefined;
}
