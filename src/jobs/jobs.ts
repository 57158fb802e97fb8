import type { Db } from "../db/client.ts";

/** Background work the core asks for (CPU-heavy or slow, so not on the events queue). */
export type BackgroundJob =
  | {
      type: "video.process";
      videoId: string;
      stagedPath: string;
      captions: { language: string; path: string }[];
    }
  /** Announce a new report to the moderators' webhook (its own queue: never behind a transcode). */
  | { type: "report.notify"; reportId: string };

export interface BackgroundJobs {
  /** Enqueue on `tx`: the job exists only if `tx` commits. */
  enqueue(tx: Db, job: BackgroundJob): Promise<void>;
}
