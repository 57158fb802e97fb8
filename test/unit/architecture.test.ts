import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const IMPORT =
  /^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

const files = [...sourceFiles(join(ROOT, "src")), ...sourceFiles(join(ROOT, "federation"))];
const rel = (f: string) => relative(ROOT, f);
/** The composition root and the HTTP edge may see both sides; the core may not. */
const isEdgeOrRoot = (f: string) =>
  /^src\/(http\/|app\.ts|main\.ts)/.test(rel(f)) || rel(f).startsWith("federation/");

test("the core imports neither Hono nor Fedify nor the federation edge", () => {
  const violations: string[] = [];
  for (const file of files.filter((f) => !isEdgeOrRoot(f))) {
    for (const spec of importsOf(file)) {
      const target = spec.startsWith(".") ? rel(resolve(dirname(file), spec)) : spec;
      if (/^(hono|@hono\/|@fedify\/)/.test(spec) || target.startsWith("federation/")) {
        violations.push(`${rel(file)} imports ${spec}`);
      }
    }
  }
  expect(violations).toEqual([]);
});

test("the HTTP edge does not reach into the federation edge", () => {
  const violations = files
    .filter((f) => rel(f).startsWith("src/http/"))
    .flatMap((file) =>
      importsOf(file)
        .filter(
          (s) => s.startsWith(".") && rel(resolve(dirname(file), s)).startsWith("federation/"),
        )
        .map((s) => `${rel(file)} imports ${s}`),
    );
  expect(violations).toEqual([]);
});

test("there are no import cycles", () => {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    graph.set(
      file,
      importsOf(file)
        .filter((s) => s.startsWith("."))
        .map((s) => resolve(dirname(file), s)),
    );
  }
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(node)), node].map(rel).join(" → "));
      return;
    }
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node);
  expect(cycles).toEqual([]);
});
