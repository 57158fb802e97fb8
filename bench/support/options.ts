export const SCENARIOS = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  only: ScenarioId[];
  rounds: number;
  /** Length of each timed load run (S4–S8). */
  durationMs: number;
  /** Fan-out trigger: a video publish event, a channel profile update, or whichever works. */
  trigger: "auto" | "video" | "actor";
  /** Keep the database and data directory afterwards (and say where). */
  keep: boolean;
  /** Write V8 CPU profiles of the Haven processes to this directory. */
  cpuProfDir: string | null;
}

export const USAGE = `npm run bench -- [--only S1,S5] [--rounds 3] [--duration 5] [--trigger auto|video|actor] [--keep] [--cpu-prof DIR]

Runs each scenario of BENCHMARKS.md next to its plain-Node baseline, interleaved,
and prints one line per scenario: haven, baseline, ratio = haven ÷ baseline
(median, [min–max]) and the goal. Needs PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres); creates and drops haven_bench_<time>.`;

export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    only: [...SCENARIOS],
    rounds: 3,
    durationMs: 5_000,
    trigger: "auto",
    keep: false,
    cpuProfDir: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n\n${USAGE}`);
      return v;
    };
    if (arg === "--only") {
      const ids = value()
        .split(",")
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
      for (const id of ids) {
        if (!SCENARIOS.includes(id as ScenarioId)) {
          throw new Error(`--only: unknown scenario ${id} (known: ${SCENARIOS.join(", ")})`);
        }
      }
      options.only = SCENARIOS.filter((s) => ids.includes(s));
    } else if (arg === "--rounds") {
      options.rounds = Number(value());
      if (!Number.isInteger(options.rounds) || options.rounds < 1) {
        throw new Error("--rounds must be a whole number ≥ 1 (BENCHMARKS.md asks for ≥ 3)");
      }
    } else if (arg === "--duration") {
      const seconds = Number(value());
      if (!(seconds >= 1)) throw new Error("--duration is in seconds, at least 1");
      options.durationMs = seconds * 1000;
    } else if (arg === "--trigger") {
      const v = value();
      if (v !== "auto" && v !== "video" && v !== "actor") {
        throw new Error("--trigger must be auto, video or actor");
      }
      options.trigger = v;
    } else if (arg === "--keep") options.keep = true;
    else if (arg === "--cpu-prof") options.cpuProfDir = value();
    else if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    else throw new Error(`unknown option ${arg}\n\n${USAGE}`);
  }
  return options;
}
