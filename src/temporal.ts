// Node 24 has no global Temporal yet; Fedify's types and runtime expect one.
// Imported first by every entry point (main, tests).
import { Temporal } from "@js-temporal/polyfill";

const g = globalThis as { Temporal?: unknown };
if (g.Temporal === undefined) g.Temporal = Temporal;
