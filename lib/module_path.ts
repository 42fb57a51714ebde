/**
 * Files that ship beside the library's modules (the sample dataset, the viewer bundle), found
 * from `import.meta.url`. When the library is imported over HTTP there is no such directory:
 * the sample then lives in the user's cache and the viewer is not served (said by `serve`).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The local path of `rel` resolved against `moduleUrl`, or undefined for a remote module. */
export function besideModule(rel: string, moduleUrl: string): string | undefined {
  const url = new URL(rel, moduleUrl);
  return url.protocol === "file:" ? fileURLToPath(url) : undefined;
}

/** `$XDG_CACHE_HOME/tessera-zones/{name}` (else `~/.cache/…`, else the temp directory). */
export function userCacheDir(name: string): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  const root = xdg ? xdg : home ? join(home, ".cache") : Deno.env.get("TMPDIR") ?? "/tmp";
  return join(root, "tessera-zones", name);
}
