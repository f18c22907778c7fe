import { uncheckedBody } from '../../client/api';
import type { CheckContext } from './context';
import type { Check, DeclaredStatuses, Level } from './context';
import { exampleBody, securedOperations } from './util';

const PLACEHOLDER_ID = 'conform-placeholder-id';

async function expectRefusedEverywhere(
  ctx: CheckContext,
  level: Level,
  keys: Array<{ label: string; apiKey: string | null }>,
): Promise<void> {
  for (const op of securedOperations(level)) {
    const pathParams = Object.fromEntries(op.pathParameters.map((name) => [name, PLACEHOLDER_ID]));
    const body = exampleBody(op);
    for (const { label, apiKey } of keys) {
      const response = await ctx.send(op, {
        pathParams,
        apiKey,
        ...(body === undefined ? {} : { body: uncheckedBody(body) }),
      });
      ctx.softStatus(response, 401, 'UNAUTHORIZED', `${op.method} ${op.path} ${label}`);
    }
  }
}

/** Every secured operation of the level, each answering 401 only. */
const refusedEverywhere = (level: Level): DeclaredStatuses =>
  Object.fromEntries(securedOperations(level).map((op) => [op.operationId, [401]]));

function missingKey(level: Level): Check {
  const suffix = level === 'sandbox' ? '-SANDBOX' : '';
  return {
    id: `AUTH-MISSING-KEY${suffix}-401`,
    title: `Every ${level === 'sandbox' ? 'sandbox' : 'production'} operation without x-api-key, or with an empty one, is 401 UNAUTHORIZED`,
    category: 'auth',
    level,
    operations: securedOperations(level).map((op) => op.operationId),
    statuses: refusedEverywhere(level),
    negative: true,
    run: (ctx) =>
      expectRefusedEverywhere(ctx, level, [
        { label: 'without x-api-key', apiKey: null },
        { label: 'with an empty x-api-key', apiKey: '' },
      ]),
  };
}

function wrongKey(level: Level): Check {
  const suffix = level === 'sandbox' ? '-SANDBOX' : '';
  return {
    id: `AUTH-WRONG-KEY${suffix}-401`,
    title: `Every ${level === 'sandbox' ? 'sandbox' : 'production'} operation with a key the implementation does not accept is 401 UNAUTHORIZED`,
    category: 'auth',
    level,
    operations: securedOperations(level).map((op) => op.operationId),
    statuses: refusedEverywhere(level),
    negative: true,
    run: (ctx) => expectRefusedEverywhere(ctx, level, [{ label: 'with a wrong x-api-key', apiKey: ctx.wrongKey() }]),
  };
}

export const authChecks: Check[] = [
  missingKey('contract'),
  wrongKey('contract'),
  missingKey('sandbox'),
  wrongKey('sandbox'),
];
