/**
 * Many zone stores under one directory or base URL, read as one: stores are found through
 * `_stores.json` or a directory listing (store_list.ts), opened lazily, and share one limiter,
 * one retry policy and one chunk cache. A lon/lat is routed to its zone's store, and near a
 * zone seam to the neighbour's too while the answer is not "valid" (zone_routing.ts).
 */
import { join } from "node:path";
import { TesseraError } from "../errors.ts";
import { utmForward } from "../grid/utm.ts";
import { chunkCache } from "./cache.ts";
import { htmlTable } from "./html.ts";
import { openStorage } from "./location.ts";
import {
  emptySamples,
  type PixelState,
  type PointOptions,
  type PointRead,
  type PointSamples,
  probe,
  readPoint,
  samplePoints,
} from "./point.ts";
import { indexCache } from "./shard_reader.ts";
import { abortable, type Storage, withPrefix } from "./storage.ts";
import { listZoneStores, type StoreEntry } from "./store_list.ts";
import { SEAM_DEGREES, seamNeighbours, STATE_RANK as RANK, zoneOfPoint } from "./zone_routing.ts";
import { openZoneStore, type OpenZoneStoreOptions, type ZoneStore } from "./zone_store.ts";

export { type StoreEntry } from "./store_list.ts";
export { SEAM_DEGREES, seamNeighbours, zoneOfPoint } from "./zone_routing.ts";

/** Options of {@link ZoneCollection.open}. */
export interface CollectionOptions extends OpenZoneStoreOptions {
  /** Keep only stores of these years. */
  years?: number[];
  /** Seam band in degrees (default {@link SEAM_DEGREES}); 0 turns the fallback off. */
  seamDegrees?: number;
}

/** Which year to read; required when the collection holds several. */
export interface YearOptions {
  year?: number;
}

/** A point read through a collection: which zone's store answered, if any. */
export interface CollectionPointRead extends PointRead {
  zone: number;
  store: string | null;
}

/** Many points read through a collection: `zones[i]` is the zone that answered (0: none). */
export interface CollectionSamples extends PointSamples {
  zones: Int16Array;
}

/**
 * Zone stores under one directory or base URL.
 *
 * @example
 * ```ts
 * const zones = await ZoneCollection.open("http://127.0.0.1:8000/");
 * const p = await zones.readPoint(0.001, 51.5, { year: 2024 }); // zone 31, or 30 at the seam
 * ```
 */
export class ZoneCollection {
  readonly location: string;
  readonly entries: readonly StoreEntry[];
  readonly seamDegrees: number;
  readonly #storage: Storage;
  readonly #opts: OpenZoneStoreOptions;
  readonly #open = new Map<string, Promise<ZoneStore>>();

  private constructor(
    location: string,
    storage: Storage,
    entries: StoreEntry[],
    opts: CollectionOptions,
  ) {
    this.location = location;
    this.#storage = storage;
    this.entries = entries;
    this.seamDegrees = opts.seamDegrees ?? SEAM_DEGREES;
    this.#opts = {
      cache: opts.cache ?? chunkCache(opts.cacheBytes),
      indexes: opts.indexes ?? indexCache(),
    };
  }

  /**
   * Finds the stores under `where` (a directory or base URL): `_stores.json` when present,
   * else, locally, the `utm{ZZ}_{YYYY}.zarr` directories. Opens no store yet.
   *
   * @example
   * ```ts
   * const zones = await ZoneCollection.open("fixtures/sample/zarr", { years: [2024] });
   * zones.entries; // [{ name: "utm30_2024.zarr", zone: 30, year: 2024 }, …]
   * ```
   */
  static async open(where: string | URL, opts: CollectionOptions = {}): Promise<ZoneCollection> {
    const { storage, location, fs } = openStorage(where, opts);
    const entries = await listZoneStores(storage, location, fs, opts);
    return new ZoneCollection(location, storage, entries, opts);
  }

  /** The years present, ascending. */
  get years(): number[] {
    return [...new Set(this.entries.map((e) => e.year))];
  }

  /** The entry of a zone and year, if the collection has that store. */
  entry(zone: number, year: number): StoreEntry | undefined {
    return this.entries.find((e) => e.zone === zone && e.year === year);
  }

  /**
   * The store of a zone and year (opened once, then reused), or undefined when there is none.
   *
   * @example
   * ```ts
   * const s31 = await zones.store(31, 2024);
   * ```
   */
  store(zone: number, year: number, signal?: AbortSignal): Promise<ZoneStore | undefined> {
    const e = this.entry(zone, year);
    if (!e) return Promise.resolve(undefined);
    let p = this.#open.get(e.name);
    if (!p) {
      const where = /^https?:/.test(this.location)
        ? this.location + e.name + "/"
        : join(this.location, e.name);
      // Shared by every caller, so not tied to one caller's signal (each waits abortably).
      const opening = openZoneStore(where, {
        ...this.#opts,
        storage: withPrefix(this.#storage, e.name + "/"),
      });
      // A failed open (a network error) is not remembered: the next call tries again.
      opening.catch(() => {
        if (this.#open.get(e.name) === opening) this.#open.delete(e.name);
      });
      this.#open.set(e.name, p = opening);
    }
    return abortable(p, signal);
  }

  #year(opts: YearOptions): number {
    if (opts.year !== undefined) return opts.year;
    const years = this.years;
    if (years.length === 1) return years[0];
    throw new TesseraError(
      "BadArgument",
      years.length === 0
        ? `no zone stores in ${this.location}`
        : `this collection has several years (${years.join(", ")}): pass { year }`,
    );
  }

  /**
   * Asks the point's own zone, then its seam neighbours while the answer is not "valid", and
   * keeps the best answer (valid > water > nodata > outside); undefined when no store exists.
   */
  async #route<T extends { state: PixelState }>(
    lon: number,
    lat: number,
    opts: YearOptions & Pick<PointOptions, "signal">,
    read: (store: ZoneStore) => Promise<T>,
  ): Promise<{ read: T; zone: number; store: string } | undefined> {
    const year = this.#year(opts);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return undefined;
    let best: { read: T; zone: number; store: string } | undefined;
    for (const zone of this.zonesFor(lon)) {
      const store = await this.store(zone, year, opts.signal);
      if (!store) continue;
      const r = await read(store);
      if (!best || RANK[r.state] > RANK[best.read.state]) {
        best = { read: r, zone, store: store.name };
      }
      if (r.state === "valid") break;
    }
    return best;
  }

  /** The zones to try for a longitude: its own, then seam neighbours. */
  zonesFor(lon: number): number[] {
    return [zoneOfPoint(lon), ...seamNeighbours(lon, this.seamDegrees)];
  }

  /**
   * Reads the embedding at lon/lat from the right zone's store, trying the seam neighbour when
   * the first answer is not "valid"; the best state wins (valid > water > nodata > outside).
   *
   * @example
   * ```ts
   * const p = await zones.readPoint(36.87, -0.06, { year: 2024 });
   * p.zone; p.store; p.state; // 37, "utm37_2024.zarr", "valid"
   * ```
   */
  async readPoint(
    lon: number,
    lat: number,
    opts: YearOptions & Pick<PointOptions, "signal"> = {},
  ): Promise<CollectionPointRead> {
    const best = await this.#route(lon, lat, opts, (store) => readPoint(store, lon, lat, opts));
    if (best) return { ...best.read, zone: best.zone, store: best.store };
    const zone = Number.isFinite(lon) ? zoneOfPoint(lon) : 0;
    const [easting, northing] = zone ? utmForward(lon, lat, zone, false) : [NaN, NaN];
    return {
      state: "outside",
      vector: null,
      raw: null,
      scale: NaN,
      row: -1,
      col: -1,
      easting,
      northing,
      zone,
      store: null,
    };
  }

  /**
   * The state at lon/lat, with the same routing and seam fallback as
   * {@link ZoneCollection.readPoint}, reading only `scales`.
   *
   * @example
   * ```ts
   * await zones.probe(10, 10, { year: 2024 }); // "outside"
   * ```
   */
  async probe(
    lon: number,
    lat: number,
    opts: YearOptions & Pick<PointOptions, "signal"> = {},
  ): Promise<PixelState> {
    const best = await this.#route(lon, lat, opts, async (store) => ({
      state: await probe(store, lon, lat, opts),
    }));
    return best?.read.state ?? "outside";
  }

  /**
   * Reads many lon/lat points: grouped by zone, one {@link samplePoints} per store (so one
   * read per inner chunk), then a second pass for non-valid points near a seam. Input order is
   * kept.
   *
   * @example
   * ```ts
   * const s = await zones.samplePoints([[-0.1, 51.5], [0.1, 51.5], [36.9, 0.02]], { year: 2024 });
   * s.zones; // Int16Array [30, 31, 37]
   * ```
   */
  async samplePoints(
    points: ArrayLike<readonly [number, number]>,
    opts: YearOptions & Pick<PointOptions, "signal"> = {},
  ): Promise<CollectionSamples> {
    const year = this.#year(opts);
    const n = points.length;
    let B = 0;
    const best = new Array<{ s: PointSamples; k: number; zone: number } | undefined>(n);
    // Round 0: each point's own zone; round 1: seam neighbours of points not yet valid.
    for (const round of [0, 1]) {
      const byZone = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const [lon, lat] = points[i];
        if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
        if (round === 1 && best[i]?.s.states[best[i]!.k] === "valid") continue;
        const zones = round === 0 ? [zoneOfPoint(lon)] : seamNeighbours(lon, this.seamDegrees);
        for (const z of zones) byZone.set(z, [...(byZone.get(z) ?? []), i]);
      }
      await Promise.all([...byZone].map(async ([zone, ids]) => {
        const store = await this.store(zone, year, opts.signal);
        if (!store) return;
        B = store.bands;
        const s = await samplePoints(store, ids.map((i) => points[i]), { signal: opts.signal });
        ids.forEach((i, k) => {
          const cur = best[i];
          if (!cur || RANK[s.states[k]] > RANK[cur.s.states[cur.k]]) best[i] = { s, k, zone };
        });
      }));
    }
    const out: CollectionSamples = { ...emptySamples(n, B), zones: new Int16Array(n) };
    best.forEach((b, i) => {
      if (!b) return;
      const { s, k } = b;
      if (s.bands !== B) {
        throw new TesseraError("BadStore", `stores disagree on the band count (${s.bands}, ${B})`);
      }
      out.states[i] = s.states[k];
      out.vectors.set(s.vectors.subarray(k * B, (k + 1) * B), i * B);
      out.raw.set(s.raw.subarray(k * B, (k + 1) * B), i * B);
      out.scales[i] = s.scales[k];
      out.rows[i] = s.rows[k];
      out.cols[i] = s.cols[k];
      out.zones[i] = b.zone;
    });
    return out;
  }

  /** Rich display in Jupyter (Deno kernel): the stores as a table, and the text form. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    const rows = this.entries.map((
      e,
    ) => [e.name, e.zone, e.year, this.#open.has(e.name) ? "yes" : ""]);
    return {
      "text/html": htmlTable(
        `${this.entries.length} zone store${this.entries.length === 1 ? "" : "s"}, years ${
          this.years.join(", ") || "–"
        } — ${this.location}`,
        ["store", "zone", "year", "opened"],
        rows,
      ),
      "text/plain": this.toString(),
    };
  }

  toString(): string {
    const n = this.entries.length;
    return `ZoneCollection(${this.location}: ${n} store${n === 1 ? "" : "s"})`;
  }
}
