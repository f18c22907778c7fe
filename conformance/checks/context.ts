/**
 * What a check gets to work with: a validating client bound to its own tenant, the
 * assertions that turn surprises into expected-vs-received failures, and (when asked
 * for) an inbox on the kit's webhook receiver.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CheckFailure, CheckSkipped, type Failure } from './failure';
import type { Operation, Schemas } from '../../spec/contract';

/** The spec's error codes: a check that expects one names it from the enum. */
type ErrorCode = Schemas['ErrorCode'];
import {
  errorCode,
  type ApiResponse,
  type CallOptions,
  type OperationId,
  type RawResponse,
  type SendOptions,
  type StatusOf,
  type WithStatus,
} from '../../client/api';
import { ContractClient } from '../../client/http';
import type { Inbox, WebhookReceiver } from '../receiver/receiver';
import type { Exchange } from '../../client/exchange';

export type Level = 'contract' | 'sandbox';

/** Per operation a check calls, the documented statuses it gets from a correct implementation. */
export type DeclaredStatuses = { [O in OperationId]?: Array<StatusOf<O>> };
export type LevelOption = Level | 'all';

/** A check: a small declarative object the catalogue gathers and the runner runs. */
export interface Check {
  /** Stable id, upper-case words joined by dashes, e.g. `SLOT-EXPIRED-417`. */
  id: string;
  title: string;
  /** Groups checks for `--only`/`--skip` and is the JUnit classname. */
  category: string;
  /** `contract`: production operations only. `sandbox`: needs the /sandbox controls. */
  level: Level;
  /** The spec's operationIds this check exercises. */
  operations: OperationId[];
  /**
   * The statuses it gets from a correct implementation, per operation, each one the spec
   * documents for that operation; the operations test holds them to what the reference answers.
   */
  statuses: DeclaredStatuses;
  /** True when the check expects the implementation to refuse something. */
  negative?: boolean;
  /** Starts the kit's webhook receiver before the check runs. */
  usesReceiver?: boolean;
  run(ctx: CheckContext): Promise<void>;
}

export interface Keys {
  /** The key this check acts with. */
  primary: string;
  /** A second tenant's key, or why there is none. */
  second: string | { unavailable: string };
  /** A key the implementation refuses, or why none is known. */
  wrong: string | { unavailable: string };
  /**
   * Keys of tenants that hold data the kit did not create (given by the user, shared):
   * a check that would change such a tenant as a whole is skipped with this reason.
   */
  protectedTenants?: { flags: Map<string, string>; reason: string };
}

/**
 * Operations that change a tenant as a whole rather than the kit's own slots and jobs:
 * the clock (which expires everyone's slots and fires everyone's retries), the webhook
 * endpoints (which receive every job's events), the fault rules (which fail every client's
 * calls) and the reset.
 */
function changesWholeTenant(op: Operation): boolean {
  return op.method.toUpperCase() !== 'GET' && /^\/sandbox\/(clock|webhook-endpoints|faults|reset)(\/|$)/.test(op.path);
}

/** Refuses, as a skip, a tenant-wide change to a tenant the kit did not create. */
class GuardedClient extends ContractClient {
  constructor(
    config: ConstructorParameters<typeof ContractClient>[0],
    private readonly guarded: Keys['protectedTenants'],
  ) {
    super(config);
  }

  protected override transmit(op: Operation, options: Parameters<ContractClient['transmit']>[1]): Promise<RawResponse> {
    const key = options.apiKey === undefined ? this.apiKey : options.apiKey;
    const flag = key === null ? undefined : this.guarded?.flags.get(key);
    if (flag !== undefined && changesWholeTenant(op)) {
      throw new CheckSkipped(
        `needs a tenant of its own: ${op.operationId} would change the whole tenant of ${flag}, which may hold data the kit did not create (${this.guarded!.reason}); pass --allow-reset to let the kit reset that tenant first`,
      );
    }
    return super.transmit(op, options);
  }
}

export interface ContextConfig {
  check: Check;
  baseUrl: string;
  keys: Keys;
  timeoutMs: number;
  seed: number;
  signal: AbortSignal;
  receiver?: WebhookReceiver;
}

export function randomToken(bytes = 9): string {
  return randomBytes(bytes).toString('base64url');
}

export class CheckContext {
  readonly exchanges: Exchange[] = [];
  readonly failures: Failure[] = [];
  readonly client: ContractClient;
  readonly timeoutMs: number;
  readonly seed: number;
  readonly signal: AbortSignal;

  constructor(private readonly config: ContextConfig) {
    this.timeoutMs = config.timeoutMs;
    this.seed = config.seed;
    this.signal = config.signal;
    this.client = this.clientFor(config.keys.primary);
  }

  get check(): Check {
    return this.config.check;
  }

  get apiKey(): string {
    return this.config.keys.primary;
  }

  /** A client acting as another key, its calls recorded and judged like the check's own. */
  clientFor(apiKey: string): ContractClient {
    return new GuardedClient(
      {
        baseUrl: this.config.baseUrl,
        apiKey,
        timeoutMs: this.config.timeoutMs,
        allowSandbox: this.config.check.level === 'sandbox',
        signal: this.config.signal,
        onExchange: (exchange) => this.recordExchange(exchange),
      },
      this.config.keys.protectedTenants,
    );
  }

  call<O extends OperationId>(operationId: O, options?: CallOptions<O>): Promise<ApiResponse<O>> {
    return this.client.call(operationId, options);
  }

  /** A call of an operation picked at run time (sweeps over every operation). */
  send(op: Operation, options?: SendOptions): Promise<RawResponse> {
    return this.client.send(op, options);
  }

  private recordExchange(exchange: Exchange): void {
    this.exchanges.push(exchange);
    if (exchange.violations.length > 0) {
      this.failures.push({
        message: `the response of ${exchange.operationId} breaks the contract`,
        expected: 'a status the spec documents for the operation, with a JSON body valid against its schema',
        received: exchange.violations,
        exchange,
      });
    }
  }

  get lastExchange(): Exchange | undefined {
    return this.exchanges[this.exchanges.length - 1];
  }

  /** The second tenant's key; skips the check when none is known. */
  secondKey(): string {
    const second = this.config.keys.second;
    if (typeof second !== 'string') this.skip(second.unavailable);
    return second;
  }

  /** A key the implementation refuses; skips the check when none is known. */
  wrongKey(): string {
    const wrong = this.config.keys.wrong;
    if (typeof wrong !== 'string') this.skip(wrong.unavailable);
    return wrong;
  }

  openInbox(): Inbox {
    if (!this.config.receiver) throw new Error(`check ${this.check.id} did not declare usesReceiver`);
    return this.config.receiver.openInbox();
  }

  skip(reason: string): never {
    throw new CheckSkipped(reason);
  }

  /** Records a failure and lets the check go on. */
  fail(message: string, details: Omit<Failure, 'message'> = {}): void {
    this.failures.push({ message, ...details });
  }

  /**
   * Stops the check unless the response has this status (and error `code`, when given);
   * returns it typed as that status's response.
   */
  expectStatus<R extends RawResponse, S extends R['status']>(
    response: R,
    status: S,
    code?: ErrorCode,
  ): WithStatus<R, S> {
    const received = errorCode(response.json);
    if (response.status === status && (code === undefined || received === code)) return response as WithStatus<R, S>;
    const { method, url } = response.exchange.request;
    throw new CheckFailure(
      `${method} ${url} answered ${response.status}${received ? ` ${received}` : ''}, expected ${status}${code ? ` ${code}` : ''}`,
      {
        expected: code === undefined ? { status } : { status, code },
        received: { status: response.status, body: response.json ?? response.text },
        exchange: response.exchange,
      },
    );
  }

  /** Stops the check unless `condition` holds. */
  expect(
    condition: unknown,
    message: string,
    details: { expected?: unknown; received?: unknown; response?: RawResponse } = {},
  ): void {
    if (condition) return;
    throw new CheckFailure(message, {
      expected: details.expected,
      received: details.received,
      exchange: details.response?.exchange ?? this.lastExchange,
    });
  }

  /** Stops the check unless `value` is there; returns it. */
  expectPresent<T>(
    value: T | null | undefined,
    message: string,
    details: { expected?: unknown; received?: unknown; response?: RawResponse } = {},
  ): T {
    this.expect(value !== undefined && value !== null, message, { received: value, ...details });
    return value as T;
  }

  expectEqual(message: string, expected: unknown, received: unknown, response?: RawResponse): void {
    this.expect(isDeepStrictEqual(expected, received), message, { expected, received, response });
  }

  /** Like expectStatus, but records the failure and goes on (for checks that sweep many cases). */
  softStatus<R extends RawResponse, S extends R['status']>(
    response: R,
    status: S,
    code?: ErrorCode,
    message?: string,
  ): response is R & WithStatus<R, S> {
    try {
      this.expectStatus(response, status, code);
      return true;
    } catch (error) {
      if (!(error instanceof CheckFailure)) throw error;
      this.failures.push(
        message ? { ...error.failure, message: `${message}: ${error.failure.message}` } : error.failure,
      );
      return false;
    }
  }
}
