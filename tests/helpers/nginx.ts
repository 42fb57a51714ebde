/**
 * A real nginx (Debian's) serving a folder on a loopback port, for the remote-tile tests:
 * installed with apt-get when missing, started from a config written in a temp dir (pid,
 * logs and temp paths there too, nothing under /etc or /var), stopped by its pid afterwards.
 * When nginx cannot be had, `withNginx` returns a reason, and tests skip with it.
 */

const NGINX = "/usr/sbin/nginx";

let available: Promise<string | undefined> | undefined;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** `undefined` when nginx is (or has just been made) available, else why not. */
export function nginxUnavailable(): Promise<string | undefined> {
  available ??= (async () => {
    if (await exists(NGINX)) return undefined;
    if (Deno.uid() === 0) {
      await run("apt-get", ["install", "-y", "-q", "nginx"]);
      if (await exists(NGINX)) return undefined;
      return "nginx is not installed and `apt-get install -y nginx` failed";
    }
    return "nginx is not installed (run `apt-get install -y nginx` as root, or scripts/setup.sh)";
  })();
  return available;
}

/** A running nginx. */
export interface Nginx {
  readonly port: number;
  /** `http://127.0.0.1:PORT/`, ending in a slash. */
  readonly url: string;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitListening(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return false;
}

/** Starts nginx serving `root` (read-only, byte ranges on) on a free loopback port. */
export async function startNginx(
  root: string,
  confDir: string,
  opts: { accessLog?: boolean } = {},
): Promise<Nginx> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const conf = `${confDir}/nginx.conf`;
    const user = Deno.uid() === 0 ? "user root;\n" : "";
    await Deno.writeTextFile(
      conf,
      `${user}worker_processes 1;
daemon off;
pid ${confDir}/nginx.pid;
error_log ${confDir}/error.log warn;
events { worker_connections 256; }
http {
  log_format tz '$status $body_bytes_sent $request_uri';
  access_log ${opts.accessLog ? `${confDir}/access.log tz` : "off"};
  client_body_temp_path ${confDir}/body;
  proxy_temp_path ${confDir}/proxy;
  fastcgi_temp_path ${confDir}/fastcgi;
  uwsgi_temp_path ${confDir}/uwsgi;
  scgi_temp_path ${confDir}/scgi;
  types { application/octet-stream npy parquet; image/tiff tiff tif; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
    );
    const child = new Deno.Command(NGINX, {
      args: ["-c", conf, "-p", confDir],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const status = child.status;
    const up = await Promise.race([waitListening(port, 5000), status.then(() => false)]);
    if (up) {
      return {
        port,
        url: `http://127.0.0.1:${port}/`,
        async stop() {
          try {
            child.kill("SIGQUIT");
          } catch { /* already gone */ }
          await status;
          await child.stderr.cancel().catch(() => {});
        },
      };
    }
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await status;
    await child.stderr.cancel().catch(() => {});
  }
  throw new Error(`nginx did not start; see ${confDir}/error.log`);
}

/**
 * Runs `fn` with nginx serving `root`; its config, pid and logs live in a fresh "tz-" temp dir
 * removed afterwards. Returns a skip reason instead when nginx cannot be had.
 */
export async function withNginx(
  root: string,
  fn: (nginx: Nginx) => Promise<void>,
): Promise<string | undefined> {
  const why = await nginxUnavailable();
  if (why) return why;
  const confDir = await Deno.makeTempDir({ prefix: "tz-nginx-" });
  try {
    const nginx = await startNginx(root, confDir);
    try {
      await fn(nginx);
    } finally {
      await nginx.stop();
    }
  } finally {
    await Deno.remove(confDir, { recursive: true });
  }
  return undefined;
}
