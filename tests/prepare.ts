/**
 * Run before the test suite (`deno task test`): makes the bundled sample dataset and its
 * previewed stores once, so parallel test files share them instead of racing to build them.
 */
import { sampleStores } from "./helpers/sample.ts";

const t0 = performance.now();
const dir = await sampleStores();
console.error(`sample stores ready in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
