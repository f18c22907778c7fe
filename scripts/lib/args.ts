/** The scripts' own command-line options: `--name value` pairs and bare flags, read from argv. */
const ARGS = process.argv.slice(2);

/** The value after `name`, or `fallback` when the option is absent or has no value. */
export function optionValue(name: string, fallback: string, args: readonly string[] = ARGS): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

/** Whether `name` was given. */
export function hasOption(name: string, args: readonly string[] = ARGS): boolean {
  return args.includes(name);
}
