import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, test } from "vitest";

/**
 * A newcomer's path: the commands README.md gives to set up and to test are
 * the ones CI (.ci/run) runs, so they cannot silently drift apart.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
const ci = readFileSync(resolve(ROOT, ".ci/run"), "utf8");
const ciCommands = ci
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

function firstBlockAfter(heading: string): string[] {
  const at = readme.indexOf(`## ${heading}\n`);
  expect(at, `README has a "## ${heading}" section`).toBeGreaterThan(-1);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, `"## ${heading}" has a sh code block`).not.toBeNull();
  return block![1]!
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

test("README's set-up command is what CI installs with", () => {
  const [install, start] = firstBlockAfter("Run it");
  expect(install).toBe("npm install");
  expect(start).toBe("npm start");
  expect(ciCommands.some((c) => c === install || c.startsWith(`${install} `))).toBe(true);
});

test("README's test command is what CI runs", () => {
  const [testCommand] = firstBlockAfter("Test it");
  expect(testCommand).toBe("npm test");
  expect(ciCommands).toContain(testCommand);
});

test("npm start and npm test are defined", () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
  expect(pkg.scripts.start).toContain("src/main.ts");
  expect(pkg.scripts.test).toMatch(/^vitest run/);
});
