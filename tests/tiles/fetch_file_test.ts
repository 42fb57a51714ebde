/**
 * lib/remote/fetch_file.ts over real HTTP on loopback (`Deno.serve`): a body dribbled in many
 * small pieces of odd sizes, and one cut short and resumed with a Range, arrive whole and in
 * order, with the right SHA-256, into a file sink and into shared memory. The fetch reads
 * into one reused buffer, so a sink that kept a piece instead of copying it would hold bytes
 * overwritten by later pieces: these tests would see them.
 */
import { createHash } from "node:crypto";
import { assertEquals } from "../assert.ts";
import { fetchFileTo, fileSink, hashedFile, MemorySink } from "../../lib/remote/fetch_file.ts";
import { adoptPartial, partPath } from "../../lib/remote/cache_paths.ts";
import { Limiter } from "../../lib/read/limiter.ts";

const SIZE = 3 * (1 << 20) + 12_345; // over the 1 MiB read and write buffers, not a multiple
const BYTES = (() => {
  const b = new Uint8Array(SIZE);
  let x = 0x9e3779b9;
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
})();
const SHA = createHash("sha256").update(BYTES).digest("hex");

/** Serves BYTES from `from` in pieces of 1..8191 bytes; the first full GET stops at `cutAt`. */
function dribbling(cutAt?: number) {
  const ranges: (string | null)[] = [];
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    (req) => {
      const range = req.headers.get("range");
      ranges.push(range);
      const from = range ? Number(/^bytes=(\d+)-$/.exec(range)![1]) : 0;
      if (from >= SIZE) {
        return new Response(null, { status: 416, headers: { "content-range": `bytes */${SIZE}` } });
      }
      const end = !range && cutAt !== undefined ? cutAt : SIZE;
      let at = from, step = 1;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= end) {
            // Closed short of Content-Length: the server drops the connection there.
            c.close();
            return;
          }
          step = (step * 31 + 7) % 8191 + 1;
          const n = Math.min(step, end - at);
          c.enqueue(BYTES.slice(at, at + n));
          at += n;
        },
      });
      const headers: Record<string, string> = { "content-length": String(SIZE - from) };
      if (range) headers["content-range"] = `bytes ${from}-${SIZE - 1}/${SIZE}`;
      return new Response(body, { status: range ? 206 : 200, headers });
    },
  );
  const port = (server.addr as Deno.NetAddr).port;
  return {
    url: `http://127.0.0.1:${port}/tile.npy`,
    ranges,
    async stop() {
      ac.abort();
      await server.finished;
    },
  };
}

/** Where `got` first differs from BYTES (-1: nowhere): a whole diff of 3 MiB is no message. */
function firstDifference(got: Uint8Array): number {
  if (got.length !== SIZE) return Math.min(got.length, SIZE);
  for (let i = 0; i < SIZE; i++) if (got[i] !== BYTES[i]) return i;
  return -1;
}

const opts = () => ({ limiter: new Limiter(2), timeoutMs: 10_000, retries: 3 });

Deno.test("fetchFileTo: a dribbled body arrives whole into a file and into shared memory", async () => {
  const srv = dribbling();
  const dir = await Deno.makeTempDir({ prefix: "tz-fetch-" });
  try {
    using f = await Deno.open(`${dir}/a.part`, { write: true, createNew: true });
    const got = await fetchFileTo(srv.url, fileSink(f), opts());
    assertEquals(got.bytes, SIZE);
    assertEquals(got.sha256, SHA);
    assertEquals(got.requests, 1);
    assertEquals(firstDifference(await Deno.readFile(`${dir}/a.part`)), -1);

    let sink: MemorySink | undefined;
    const mem = await fetchFileTo(
      srv.url,
      (n) => Promise.resolve(sink = new MemorySink(n!)),
      opts(),
    );
    assertEquals(mem.sha256, SHA);
    assertEquals(sink!.length, SIZE);
    assertEquals(firstDifference(sink!.view), -1);
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchFileTo: a body cut short resumes from the byte reached, digest over every byte once", async () => {
  const cutAt = (1 << 20) + 777;
  const srv = dribbling(cutAt);
  const dir = await Deno.makeTempDir({ prefix: "tz-fetch-" });
  try {
    using f = await Deno.open(`${dir}/b.part`, { write: true, createNew: true });
    const got = await fetchFileTo(srv.url, fileSink(f), opts());
    assertEquals(got.sha256, SHA);
    assertEquals(got.resumed, 1);
    assertEquals(srv.ranges.length, 2);
    // The retry asks from a byte the first answer reached (the client may not have taken the
    // last pieces sent before the cut), never from 0 and never past the cut.
    const from = Number(/^bytes=(\d+)-$/.exec(srv.ranges[1]!)![1]);
    assertEquals(from > 0 && from <= cutAt, true, srv.ranges.join());
    assertEquals(firstDifference(await Deno.readFile(`${dir}/b.part`)), -1);
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchFileTo from a partial download: the rest only; a whole one, or a longer one", async () => {
  const srv = dribbling();
  const dir = await Deno.makeTempDir({ prefix: "tz-fetch-" });
  try {
    for (const held of [1_000_001, SIZE, SIZE + 10]) {
      srv.ranges.length = 0;
      const path = `${dir}/held-${held}`;
      // What a killed build had written: the file's first bytes (or, past SIZE, junk after).
      const prefix = new Uint8Array(held);
      prefix.set(BYTES.subarray(0, Math.min(held, SIZE)));
      await Deno.writeFile(path, prefix);
      const from = await hashedFile(path);
      using f = await Deno.open(path, { write: true });
      await f.seek(0, Deno.SeekMode.End);
      const got = await fetchFileTo(srv.url, fileSink(f), { ...opts(), from });
      assertEquals(got.sha256, SHA, `held ${held}`);
      assertEquals(firstDifference(await Deno.readFile(path)), -1, `held ${held}`);
      // Held bytes are not asked for again; more than the file has means starting over.
      const want = held < SIZE
        ? [`bytes=${held}-`]
        : held === SIZE
        ? [`bytes=${SIZE}-`]
        : [`bytes=${held}-`, null];
      assertEquals(srv.ranges.join(), want.join(), `held ${held}`);
    }
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adoptPartial takes the longest part of a dead build, removes the rest, spares live ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tz-fetch-" });
  try {
    const path = `${dir}/grid.npy`;
    // A pid that is surely gone: a child that has exited.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    const deadPid = gone.pid;
    await Deno.writeFile(`${path}.part-${deadPid}-aaaaaaaaaaaa`, BYTES.subarray(0, 10));
    await Deno.writeFile(`${path}.part-${deadPid}-bbbbbbbbbbbb`, BYTES.subarray(0, 100));
    // A live build's part (pid 1 runs for as long as the machine does) and another file's.
    await Deno.writeFile(`${path}.part-1-cccccccccccc`, BYTES.subarray(0, 1000));
    await Deno.writeFile(`${dir}/other.npy.part-${deadPid}-dddddddddddd`, BYTES.subarray(0, 5));
    const mine = partPath(path);
    const got = await adoptPartial(path, mine);
    assertEquals(got?.bytes, 100);
    assertEquals(
      got!.hash.digest("hex"),
      createHash("sha256").update(BYTES.subarray(0, 100)).digest("hex"),
    );
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(
      left.join(),
      [
        mine.slice(dir.length + 1),
        "grid.npy.part-1-cccccccccccc",
        `other.npy.part-${deadPid}-dddddddddddd`,
      ]
        .sort().join(),
    );
    // Nothing of a dead build left: nothing to take over.
    assertEquals(await adoptPartial(`${dir}/none.npy`, partPath(`${dir}/none.npy`)), undefined);
    assertEquals(
      await adoptPartial(`${dir}/missing/x.npy`, partPath(`${dir}/missing/x.npy`)),
      undefined,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
