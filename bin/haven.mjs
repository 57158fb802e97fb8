#!/usr/bin/env node
// Runs the TypeScript entry point through tsx (a runtime dependency), so the
// `haven` command works from a checkout or an installed package alike.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
