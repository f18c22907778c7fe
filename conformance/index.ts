/**
 * The conformance kit's public face: `runConformance(options)` judges any implementation of
 * the contract over HTTP and returns the results; reporters turn them into files.
 */
export {
  runConformance,
  selectChecks,
  UnreachableError,
  WrongBaseUrlError,
  type ConformanceOptions,
} from './runner/runner';
export { runReceiverConformance, type ReceiverConformanceOptions } from './receivers/run';
export { catalogue } from './checks/catalogue';
export { waitForAnswer, NoAnswerError, type WaitOptions } from './runner/wait';
export { renderHtml } from './reporters/html';
export { renderJson } from './reporters/json';
export { renderJunit } from './reporters/junit';
export { writeReports, parseReportTarget, type ReportTarget } from './reporters';
export type { Check, Level, LevelOption } from './checks/context';
export type { CheckResult, RunResult } from './checks/result';
export type { Failure } from './checks/failure';
export type { Exchange } from '../client/exchange';
export type { CheckContext } from './checks/context';
export { uncheckedBody, type ApiResponse, type CallOptions, type OperationId, type RawResponse } from '../client/api';
