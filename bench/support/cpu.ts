import { readFileSync } from "node:fs";

/** CPU seconds (user + system) a process has used, from /proc (Linux; 0 elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU used by a set of processes between `start()` and `stop()`. */
export function cpuMeter(pids: () => number[] | Promise<number[]>) {
  let before = new Map<number, number>();
  const read = async () => new Map((await pids()).map((pid) => [pid, cpuSeconds(pid)]));
  return {
    async start() {
      before = await read();
    },
    async stop(): Promise<number> {
      const after = await read();
      let total = 0;
      // A process that appeared during the run used all its CPU in it.
      for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
      return total;
    },
  };
}
