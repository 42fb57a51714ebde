/**
 * `deno task bench <name>`: runs one benchmark script from bench/ (each writes its section of
 * docs/benchmarks.md). `deno task bench` lists them.
 */
const BENCHES: Record<string, string> = {
  scan: "scan.ts",
  build: "build.ts",
  registry: "registry_read.ts",
  shard: "shard_encode.ts",
  landscape: "landscape.ts",
  read: "read.ts",
  previews: "previews.ts",
  viewer: "viewer.ts",
  cluster: "cluster.ts",
  remote: "remote.ts",
};

const [name, ...rest] = Deno.args;
if (!name || name === "--help" || name === "-h" || !(name in BENCHES)) {
  console.log(
    `deno task bench <name> [args]\n\nBenchmarks:\n${
      Object.entries(BENCHES).map(([k, v]) => `  ${k.padEnd(10)} bench/${v}`).join("\n")
    }`,
  );
  Deno.exit(name && !(name in BENCHES) && name !== "--help" && name !== "-h" ? 2 : 0);
}
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(`./${BENCHES[name]}`, import.meta.url).pathname, ...rest],
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
