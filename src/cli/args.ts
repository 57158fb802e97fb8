export interface ParsedArgs {
  positional: string[];
  /** The last value of each flag. */
  flags: Map<string, string | true>;
  /** Every value of a flag given more than once (`--confirm a --confirm b`). */
  repeated: Map<string, string[]>;
}

/** `--name value`, `--name=value` and bare `--flag`. */
export function parseArgs(argv: string[], booleanFlags: ReadonlySet<string>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const set = (name: string, value: string) => {
    flags.set(name, value);
    repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) {
      set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (booleanFlags.has(arg.slice(2))) {
      flags.set(arg.slice(2), true);
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--"))
        throw new UsageError(`${arg} needs a value`);
      set(arg.slice(2), value);
      i++;
    }
  }
  return { positional, flags, repeated };
}

export class UsageError extends Error {}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export async function readStdin(): Promise<string> {
  return (await readStdinBytes()).toString("utf8");
}

export async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every value of a repeatable flag, in order. */
export function flagStrings(args: ParsedArgs, name: string): string[] {
  return args.repeated.get(name) ?? [];
}
