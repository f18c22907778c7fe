/**
 * The conformance kit's public face: `runConformance(options)` judges any implementation of
 * the contract over HTTP and returns the results; reporters turn them into files.
 */
export { runConformance, selectChecks, type ConformanceOptions } from './runner';
export { catalogue } from './catalogue';
export { waitForAnswer, NoAnswerError, type WaitOptions } from './wait';
export { renderHtml } from './reporters/html';
export { renderJson } from './reporters/json';
export { renderJunit } from './reporters/junit';
export { writeReports, parseReportTarget, type ReportTarget } from './reporters';
export type { Check, CheckResult, RunResult, Failure, Exchange, Level, LevelOption } from './types';
export type { CheckContext } from './context';
export { uncheckedBody, type ApiResponse, type CallOptions, type OperationId, type RawResponse } from './api';
