import fc from "/work/wt/i17/node_modules/fast-check";
import { stepArbitrary, StepCommand } from '/work/wt/i17/conformance/explore/commands';
const arb = fc.commands([stepArbitrary(2).map((s) => new StepCommand(s))], { maxCommands: 40, size: 'max' });
const lens = fc.sample(arb, { seed: 1, numRuns: 20 }).map((c) => [...c].length);
console.log(lens);
const arb2 = fc.commands([stepArbitrary(2).map((s) => new StepCommand(s))], { maxCommands: 40 });
console.log(fc.sample(arb2, { seed: 1, numRuns: 20 }).map((c) => [...c].length));
