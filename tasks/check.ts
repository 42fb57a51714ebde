/** `deno task check`: type check, lint and format check of the whole toolkit. */
import { fileURLToPath } from "node:url";
import { parseTaskArgs, runTask } from "../lib/cli/args.ts";
import { runSteps } from "../lib/cli/steps.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `
deno task check

Type-checks the public API, every task, benchmark and the viewer ("deno check mod.ts
tasks/*.ts bench/*.ts viewer/*.ts viewer/src/main.ts viewer/src/decode_worker.ts"), then runs
"deno lint" and "deno fmt --check", stopping at the first that fails.
Exit code: 0 when all three pass, else that of the first failing one.

Options:
  -h, --help   this help
`;

/** The `.ts` files directly in `dir` (relative to the repository), sorted as a shell glob. */
async function tsFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${REPO}/${dir}`)) {
    if (e.isFile && e.name.endsWith(".ts")) names.push(`${dir}/${e.name}`);
  }
  return names.sort();
}

/** The commands `deno task check` runs, in order (each is `deno <step…>`). */
export async function checkSteps(): Promise<string[][]> {
  return [
    [
      "check",
      "mod.ts",
      ...await tsFiles("tasks"),
      ...await tsFiles("bench"),
      ...await tsFiles("viewer"),
      "viewer/src/main.ts",
      "viewer/src/decode_worker.ts",
    ],
    ["lint"],
    ["fmt", "--check"],
  ];
}

if (import.meta.main) {
  await runTask("check", async () => {
    parseTaskArgs(Deno.args, { name: "check", usage: USAGE, options: {}, positionals: [] });
    return await runSteps(await checkSteps(), { cwd: REPO });
  });
}
