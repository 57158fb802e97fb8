import { parentPort, workerData } from "node:worker_threads";
import { type InboxPlan, importKeys, inboxRequest } from "./inbox-activities.ts";

/** Presigns requests [from, to) of an inbox plan off the main thread. */
const job = workerData as { plan: InboxPlan; privateKeys: string[]; from: number; to: number };
const keys = importKeys(job.privateKeys);
const out: Buffer[] = [];
for (let i = job.from; i < job.to; i++) out.push(inboxRequest(job.plan, keys, i));
parentPort!.postMessage(out);
