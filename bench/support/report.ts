import { fmt, summarize } from "./stats.ts";

/** One printed line: a measure of a scenario, Haven next to its baseline, over the rounds. */
export interface Row {
  name: string;
  unit: string;
  haven: number[];
  baseline: number[];
  /** Haven ÷ baseline, one per round. */
  ratios: number[];
  /** What BENCHMARKS.md asks, e.g. "≥0.6×". */
  goal: string;
  /** Whether the median ratio (and `extraGoals`) meet the goal. */
  pass: boolean;
  /** Secondary goals and facts, e.g. "publish 41 ms ≤ 250 ✓". */
  notes: string[];
}

/** A scenario that could not be measured: a correctness check failed or it crashed. */
export interface FailedRow {
  name: string;
  failure: string;
}

export function ratioRow(
  init: Omit<Row, "ratios" | "pass"> & {
    ratios?: number[];
    /** true when a higher ratio is better (rates); false for latencies. */
    higherIsBetter: boolean;
    threshold: number;
    extraPass?: boolean;
  },
): Row {
  const ratios = init.ratios ?? init.haven.map((h, i) => h / init.baseline[i]!);
  const mid = summarize(ratios).median;
  const ok = init.higherIsBetter ? mid >= init.threshold : mid <= init.threshold;
  return {
    name: init.name,
    unit: init.unit,
    haven: init.haven,
    baseline: init.baseline,
    ratios,
    goal: init.goal,
    pass: ok && (init.extraPass ?? true),
    notes: init.notes,
  };
}

export function formatRow(row: Row): string {
  const h = summarize(row.haven).median;
  const b = summarize(row.baseline).median;
  const r = summarize(row.ratios);
  const mark = row.pass ? "✓" : "✗";
  // A scenario without a baseline (S9 has an absolute goal): ratio = Haven ÷ goal.
  const none = row.baseline.length === 0;
  return [
    row.name.padEnd(25),
    `haven=${fmt(h)}${row.unit}`.padEnd(18),
    (none ? "baseline=—" : `baseline=${fmt(b)}${row.unit}`).padEnd(21),
    `${none ? "of goal" : "ratio"}=${fmt(r.median)}`.padEnd(12),
    `[${fmt(r.min)}–${fmt(r.max)}]`.padEnd(14),
    `goal=${row.goal} ${mark}`,
    ...(row.notes.length ? [` · ${row.notes.join(" · ")}`] : []),
  ].join(" ");
}

export function formatFailure(row: FailedRow): string {
  return `${row.name.padEnd(25)} FAILED: ${row.failure}`;
}

export const MiB = 1024 * 1024;
