/**
 * The shapes every part of the kit shares: a check is a small declarative object, the
 * runner turns it into a result, the reporters render results.
 */
import type { HttpAnswer } from '../spec/contract';
import type { CheckContext } from './context';

export type Level = 'contract' | 'sandbox';
export type LevelOption = Level | 'all';
export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface Check {
  /** Stable id, upper-case words joined by dashes, e.g. `SLOT-EXPIRED-417`. */
  id: string;
  title: string;
  /** Groups checks for `--only`/`--skip` and is the JUnit classname. */
  category: string;
  /** `contract`: production operations only. `sandbox`: needs the /sandbox controls. */
  level: Level;
  /** The spec's operationIds this check exercises. */
  operations: string[];
  /** True when the check expects the implementation to refuse something. */
  negative?: boolean;
  /** Starts the kit's webhook receiver before the check runs. */
  usesReceiver?: boolean;
  run(ctx: CheckContext): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A response as the report keeps it: the shape the contract's one response checker judges. */
export type RecordedResponse = HttpAnswer;

/** One HTTP call a check made, with what the contract says about its response. */
export interface Exchange {
  operationId: string;
  request: RecordedRequest;
  response?: RecordedResponse;
  /** Transport failure (refused, reset, timed out), when no response came. */
  error?: string;
  durationMs: number;
  curl: string;
  /** Contract violations of the response; empty when it conforms. */
  violations: string[];
}

export interface Failure {
  message: string;
  expected?: unknown;
  received?: unknown;
  /** The call that showed the failure, when there is one. */
  exchange?: Exchange;
}

export interface CheckResult {
  id: string;
  title: string;
  category: string;
  level: Level;
  operations: string[];
  negative: boolean;
  status: CheckStatus;
  /** Why the check was skipped. */
  reason?: string;
  durationMs: number;
  failures: Failure[];
  /** What a passed check wants known without failing (conform-receiver: production's signature unchecked). */
  warnings?: Failure[];
  exchanges: Exchange[];
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
