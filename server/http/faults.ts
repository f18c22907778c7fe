/**
 * The fault layer: HTTP middleware around the production operations' handlers. The
 * operation's transaction asks the tenant's fault rules first (a gate: server/faults/faults.ts),
 * so the decision costs no round trip of its own; this layer then fails the call as the rule
 * that fired says, before the operation ran (it was skipped, and changed nothing) or after it
 * committed (the answer is lost or replaced). The domain never knows; `/sandbox/*`,
 * `/healthz`, the docs and the console never come here.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Gate } from '../application/sandbox';
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
   * (behind the gate it is given, if any) and `deliver` answers its outcome. Without a firing
   * rule, exactly those two.
   */
  async around(
    operationId: string,
    body: unknown,
    req: Request,
    res: Response,
    invoke: (gate?: Gate) => Promise<Outcome>,
    deliver: (outcome: Outcome) => void,
  ): Promise<void> {
    if (!isFaultable(operationId)) return deliver(await invoke());
    const gate = this.rules.gate(operationId, body);
    const ran = await invoke(gate);
    const rule = gate.fired;
    if (!rule) return deliver(ran);
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
    if (rule.delay_ms !== undefined) {
      await this.pause(delayOf(rule.delay_ms));
      // Before: the operation was skipped, and runs now, past the rule (which already fired).
      return deliver(rule.phase === 'after' ? ran : await invoke());
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
