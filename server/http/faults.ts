/**
 * The fault layer: HTTP middleware around the production operations' handlers. It asks the
 * tenant's fault rules whether a call is faulted, then fails it as the rule says, before
 * the operation runs (which then changes nothing) or after it has committed (the answer is
 * lost or replaced). The domain never knows; `/sandbox/*`, `/healthz`, the docs and the
 * console never come here.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { FaultRules } from '../faults/faults';
import type { FaultRecord } from '../faults/records';
import { isFaultable } from '../faults/rules';
import { sendJson } from './errors';

/** How long `drop: hang` holds a connection at most: the server never keeps sockets for good. */
export const HANG_LIMIT_MS = 60_000;

/** What the operation came to: its answer, or the error it raised (answered as usual). */
export type Outcome = { reply: () => void } | { error: unknown };

const REASONS: Record<number, string> = {
  408: 'Request timeout',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export class FaultLayer {
  /** Whatever a fault holds (a delay, a hung connection): released when the server closes. */
  private readonly held = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly rules: FaultRules,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs one call of `operationId` through the tenant's rules: `invoke` runs the operation
   * and `deliver` answers its outcome. Without a firing rule, exactly those two.
   */
  async around(
    key: string,
    operationId: string,
    body: unknown,
    req: Request,
    res: Response,
    invoke: () => Promise<Outcome>,
    deliver: (outcome: Outcome) => void,
  ): Promise<void> {
    const rule = isFaultable(operationId) ? await this.rules.fire(key, operationId, body) : null;
    if (!rule) return deliver(await invoke());
    this.logger.info(
      {
        req_id: req.requestId,
        fault_id: rule.id,
        operation: operationId,
        phase: rule.phase,
        effect: rule.status ?? (rule.drop ? `drop:${rule.drop}` : 'delay'),
      },
      'fault injected',
    );
    const outcome = rule.phase === 'after' ? await invoke() : null;
    if (rule.delay_ms !== undefined) {
      await this.pause(delayOf(rule.delay_ms));
      return deliver(outcome ?? (await invoke()));
    }
    if (rule.drop === 'reset') {
      // A reset, not a polite close: the client sees ECONNRESET, as when a proxy dies.
      if (req.socket.resetAndDestroy) req.socket.resetAndDestroy();
      else req.socket.destroy();
      return;
    }
    if (rule.drop === 'hang') {
      await this.pause(HANG_LIMIT_MS, res);
      req.socket.destroy();
      return;
    }
    this.answer(rule, req, res);
  }

  private answer(rule: FaultRecord, req: Request, res: Response): void {
    const status = rule.status ?? 500;
    const headers: Record<string, string> =
      status === 429 || status === 503 ? { 'Retry-After': String(rule.retry_after ?? 1) } : {};
    sendJson(
      res,
      status,
      {
        code: 'FAULT_INJECTED',
        message: `${REASONS[status] ?? 'Error'} injected by fault rule ${rule.id}`,
        fault_id: rule.id,
        request_id: req.requestId,
      },
      headers,
    );
  }

  /** Waits `ms`, or less when the client goes away (`res` closes) or the server closes. */
  private pause(ms: number, res?: Response): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        res?.off('close', release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.held.add(release);
      res?.on('close', release);
    });
  }

  /** Releases every delay and hung connection at once: the server is closing. */
  close(): void {
    this.closed = true;
    for (const release of [...this.held]) release();
  }
}

function delayOf(delay: NonNullable<FaultRecord['delay_ms']>): number {
  if (typeof delay === 'number') return delay;
  return delay.min + Math.floor(Math.random() * (delay.max - delay.min + 1));
}
