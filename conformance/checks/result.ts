/**
 * What a run produces: a result per check, the exploration's account and the coverage,
 * as the runner builds them and the reporters render them.
 */
import type { OperationId, WebhookOperationId } from '../../spec/contract';
import type { Exchange } from '../../client/exchange';
import type { Level, LevelOption } from './context';
import type { Failure } from './failure';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: string;
  title: string;
  category: string;
  level: Level;
  operations: Array<OperationId | WebhookOperationId>;
  negative: boolean;
  status: CheckStatus;
  /** Why the check was skipped. */
  reason?: string;
  durationMs: number;
  failures: Failure[];
  /** What a passed check wants known without failing (conform-receiver: production's signature unchecked). */
  warnings?: Failure[];
  exchanges: Exchange[];
  /**
   * A failed check's calls, every one in order, as a shell script of curl calls that replays
   * them (ids from earlier answers captured into variables). The EXPLORE result keeps its
   * own, of the minimal sequence, in `explore.script`.
   */
  script?: string;
  /** The exploration's own account, on the EXPLORE result. */
  explore?: ExploreReport;
}

/** One step of an exploration sequence and the calls it made. */
export interface ExploreStep {
  n: number;
  step: string;
  calls: Array<{ operationId: string; method: string; url: string; status?: number }>;
}

export interface ExploreReport {
  seed: number;
  runs: number;
  runsDone: number;
  maxSteps: number;
  stepsDone: number;
  shrinks: number;
  /** Steps of the first failing run, before shrinking. */
  firstFailingSteps?: number;
  /** From the first failure to the minimal sequence. */
  shrinkMs?: number;
  /** The minimal failing sequence, numbered; the last step is where it failed. */
  steps?: ExploreStep[];
  expected?: unknown;
  received?: unknown;
  /** A shell script of curl calls that replays the minimal sequence. */
  script?: string;
  /** The command that replays the exploration (the same seed, runs and steps). */
  replay?: string;
  /**
   * The minimal sequence run once more on a fresh tenant: `failed` again, or `passed` (the
   * failure is flaky), with that run's steps.
   */
  recheck?: { status: 'failed' | 'passed'; steps: ExploreStep[]; received?: unknown };
}

/** Which documented (operation, status) pairs the run exercised. */
export interface CoverageReport {
  documented: number;
  exercised: number;
  pairs: Array<{ operationId: string; status: string; exercised: boolean; by: string[] }>;
}

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunResult {
  tool: { name: string; version: string };
  baseUrl: string;
  level: LevelOption;
  /** Absent when the run judged a webhook receiver (conform-receiver), which has no tenants. */
  tenantMode?: 'fresh' | 'shared';
  /** What the run decided about tenants, e.g. why one tenant is shared and whether it is reset. */
  notices?: string[];
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
  checks: CheckResult[];
  coverage?: CoverageReport;
}
