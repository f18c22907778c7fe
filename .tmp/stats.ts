import fc from '/work/wt/i17/node_modules/fast-check';
import { stepArbitrary, StepCommand } from '/work/wt/i17/conformance/explore/commands';
const arb = fc.commands([stepArbitrary(2).map((s) => new StepCommand(s))], { maxCommands: 40, size: 'max' });
const samples = fc.sample(arb, { seed: 1, numRuns: 100 });
const counts: Record<string, number> = {};
let total = 0;
for (const cmds of samples) for (const c of cmds) { counts[((c as any).cmd ?? c).step.op] = (counts[((c as any).cmd ?? c).step.op] ?? 0) + 1; total++; }
console.log(total / 100, counts);
