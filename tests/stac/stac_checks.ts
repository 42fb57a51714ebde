/**
 * Checks of STAC 1.1.0 Items and Collections and of the projection extension v2.0.0, written
 * from the specifications (item-spec, collection-spec, commons/links and assets, the
 * projection extension's README and field table, RFC 7946 for geometry and bbox): every
 * REQUIRED field and the type rules the JSON schemas enforce. No schema package is on the
 * npm registry (the validators fetch them from the web at run time), hence these. Each
 * function returns the problems found, as "path: what" strings; [] means valid.
 */

export const STAC_VERSION = "1.1.0";
export const PROJ_V2 = "https://stac-extensions.github.io/projection/v2.0.0/schema.json";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** RFC 3339 §5.6 date-time (STAC requires it for every datetime field). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkDatetime(v: unknown, path: string, out: string[], nullable = false): void {
  if (v === null && nullable) return;
  if (typeof v !== "string" || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) {
    out.push(`${path}: not an RFC 3339 date-time (${JSON.stringify(v)})`);
  }
}

function checkPosition(p: unknown, path: string, out: string[]): void {
  if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every(isNum)) {
    return void out.push(`${path}: a position is 2 or 3 numbers`);
  }
  if (p[0] < -180 || p[0] > 180) out.push(`${path}: longitude ${p[0]} outside [-180, 180]`);
  if (p[1] < -90 || p[1] > 90) out.push(`${path}: latitude ${p[1]} outside [-90, 90]`);
}

/** Signed area (shoelace) of a ring in lon/lat: > 0 counterclockwise. */
export function ringArea(ring: number[][]): number {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return a / 2;
}

function checkPolygon(rings: unknown, path: string, out: string[]): void {
  if (!Array.isArray(rings) || rings.length === 0) {
    return void out.push(`${path}: a Polygon has at least one linear ring`);
  }
  rings.forEach((ring, r) => {
    const rp = `${path}[${r}]`;
    if (!Array.isArray(ring) || ring.length < 4) {
      return void out.push(`${rp}: a linear ring has at least 4 positions (RFC 7946 §3.1.6)`);
    }
    ring.forEach((p, i) => checkPosition(p, `${rp}[${i}]`, out));
    const a = ring[0], b = ring[ring.length - 1];
    if (!Array.isArray(a) || !Array.isArray(b) || a[0] !== b[0] || a[1] !== b[1]) {
      out.push(`${rp}: a linear ring is closed (first position = last)`);
    }
    // RFC 7946 §3.1.6: exterior rings counterclockwise, holes clockwise.
    const area = ringArea(ring as number[][]);
    if (r === 0 ? area <= 0 : area >= 0) {
      out.push(`${rp}: ${r === 0 ? "exterior rings are counterclockwise" : "holes are clockwise"}`);
    }
  });
}

/** RFC 7946 geometry object (the kinds a footprint uses, plus Point). */
export function checkGeometry(g: unknown, path: string): string[] {
  const out: string[] = [];
  if (!isObj(g)) return [`${path}: a GeoJSON geometry is an object`];
  if (g.type === "Polygon") checkPolygon(g.coordinates, `${path}.coordinates`, out);
  else if (g.type === "MultiPolygon") {
    if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) {
      out.push(`${path}.coordinates: a MultiPolygon has polygons`);
    } else {
      g.coordinates.forEach((p, i) => checkPolygon(p, `${path}.coordinates[${i}]`, out));
    }
  } else if (g.type === "Point") checkPosition(g.coordinates, `${path}.coordinates`, out);
  else out.push(`${path}.type: unexpected geometry type ${JSON.stringify(g.type)}`);
  return out;
}

/** Every position of a Polygon or MultiPolygon. */
export function positions(g: Json): number[][] {
  const polys = g.type === "Polygon" ? [g.coordinates] : (g.coordinates as unknown[]);
  return (polys as number[][][][]).flat(1).flat(1);
}

function checkBbox(b: unknown, path: string, out: string[]): b is number[] {
  if (!Array.isArray(b) || (b.length !== 4 && b.length !== 6) || !b.every(isNum)) {
    out.push(`${path}: a bbox is 4 (2D) or 6 (3D) numbers`);
    return false;
  }
  const n = b.length / 2;
  const [w, s, e, nn] = [b[0], b[1], b[n], b[n + 1]];
  if (s > nn) out.push(`${path}: south ${s} > north ${nn}`);
  for (const lat of [s, nn]) if (lat < -90 || lat > 90) out.push(`${path}: latitude ${lat}`);
  for (const lon of [w, e]) if (lon < -180 || lon > 180) out.push(`${path}: longitude ${lon}`);
  return true;
}

/** Whether lon/lat `p` is inside 2D bbox `b` (antimeridian-aware: west > east wraps). */
export function inBbox(b: number[], p: number[]): boolean {
  const [w, s, e, n] = b;
  const lonOk = w <= e ? p[0] >= w && p[0] <= e : p[0] >= w || p[0] <= e;
  return lonOk && p[1] >= s && p[1] <= n;
}

function checkLinks(links: unknown, path: string, out: string[]): void {
  if (!Array.isArray(links)) return void out.push(`${path}: REQUIRED array of Link objects`);
  links.forEach((l, i) => {
    const lp = `${path}[${i}]`;
    if (!isObj(l)) return void out.push(`${lp}: a Link is an object`);
    if (typeof l.href !== "string" || !l.href) out.push(`${lp}.href: REQUIRED string`);
    if (typeof l.rel !== "string" || !l.rel) out.push(`${lp}.rel: REQUIRED string`);
    for (const k of ["type", "title", "method"]) {
      if (k in l && typeof l[k] !== "string") out.push(`${lp}.${k}: a string`);
    }
    // commons/links.md: self links are absolute.
    if (l.rel === "self" && typeof l.href === "string" && !URL.canParse(l.href)) {
      out.push(`${lp}: a self link is an absolute URL`);
    }
  });
  if (links.filter((l) => isObj(l) && l.rel === "self").length > 1) {
    out.push(`${path}: at most one self link`);
  }
}

function checkAssets(assets: unknown, path: string, out: string[], definitions = false): void {
  if (!isObj(assets)) return void out.push(`${path}: an object of Asset objects`);
  for (const [key, a] of Object.entries(assets)) {
    const ap = `${path}.${key}`;
    if (!isObj(a)) {
      out.push(`${ap}: an Asset is an object`);
      continue;
    }
    if (definitions) {
      if ("href" in a) out.push(`${ap}: an item asset definition has no href`);
      if (Object.keys(a).length < 2) out.push(`${ap}: an item asset definition has ≥ 2 fields`);
    } else if (typeof a.href !== "string" || !a.href) out.push(`${ap}.href: REQUIRED string`);
    for (const k of ["title", "description", "type"]) {
      if (k in a && typeof a[k] !== "string") out.push(`${ap}.${k}: a string`);
    }
    if ("roles" in a && (!Array.isArray(a.roles) || !a.roles.every((r) => typeof r === "string"))) {
      out.push(`${ap}.roles: an array of strings`);
    }
    checkProjFields(a, ap, out);
  }
}

function checkExtensions(doc: Json, out: string[]): void {
  const ext = doc.stac_extensions;
  if (ext === undefined) return;
  if (!Array.isArray(ext) || !ext.every((e) => typeof e === "string" && URL.canParse(e))) {
    out.push("stac_extensions: an array of schema URLs");
  } else if (new Set(ext).size !== ext.length) out.push("stac_extensions: items are unique");
}

const PROJ_FIELDS = new Set([
  "proj:code",
  "proj:wkt2",
  "proj:projjson",
  "proj:geometry",
  "proj:bbox",
  "proj:centroid",
  "proj:shape",
  "proj:transform",
]);

/** The projection extension's fields in one object (properties, an asset): types per its table. */
function checkProjFields(o: Json, path: string, out: string[]): number {
  let n = 0;
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith("proj:")) continue;
    n++;
    const p = `${path}.${k}`;
    if (!PROJ_FIELDS.has(k)) {
      out.push(`${p}: not a projection v2 field (proj:epsg became proj:code)`);
      continue;
    }
    if (k === "proj:code" || k === "proj:wkt2") {
      if (v !== null && typeof v !== "string") out.push(`${p}: string or null`);
      if (k === "proj:code" && typeof v === "string" && !/^[A-Za-z0-9_]+:[^\s:]+$/.test(v)) {
        out.push(`${p}: "AUTHORITY:CODE", e.g. EPSG:32630`);
      }
    } else if (k === "proj:projjson" && v !== null && !isObj(v)) out.push(`${p}: object or null`);
    else if (k === "proj:geometry") {
      out.push(...checkGeometry(v, p).filter((e) => !/itude/.test(e)));
    } else if (k === "proj:bbox") {
      if (!Array.isArray(v) || (v.length !== 4 && v.length !== 6) || !v.every(isNum)) {
        out.push(`${p}: 4 or 6 numbers`);
      } else if (v[0] > v[v.length / 2] || v[1] > v[v.length / 2 + 1]) {
        out.push(`${p}: lower-left corner first`);
      }
    } else if (k === "proj:centroid") {
      if (
        !isObj(v) || !isNum(v.lat) || !isNum(v.lon) || Math.abs(v.lat) > 90 ||
        Math.abs(v.lon) > 180
      ) out.push(`${p}: { lat in [-90, 90], lon in [-180, 180] }`);
    } else if (k === "proj:shape") {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 0)) {
        out.push(`${p}: two integers [Y, X]`);
      }
    } else if (k === "proj:transform") {
      if (!Array.isArray(v) || (v.length !== 6 && v.length !== 9) || !v.every(isNum)) {
        out.push(`${p}: 6 or 9 numbers`);
      } else if (v.length === 9 && (v[6] !== 0 || v[7] !== 0 || v[8] !== 1)) {
        out.push(`${p}: the last row of a 9-number transform is 0, 0, 1`);
      }
    }
  }
  return n;
}

/** Projection extension rules for a whole document. */
function checkProjection(doc: Json, holders: Json[], out: string[]): void {
  const declared = Array.isArray(doc.stac_extensions) && doc.stac_extensions.includes(PROJ_V2);
  const used = holders.some((h) => Object.keys(h).some((k) => k.startsWith("proj:")));
  if (used && !declared) out.push(`stac_extensions: proj: fields used without ${PROJ_V2}`);
  if (declared && !used) out.push("projection extension declared but no proj: field is set");
}

/**
 * The problems of a STAC 1.1.0 Item (with the projection extension v2.0.0 if declared).
 *
 * @example
 * checkItem(JSON.parse(await Deno.readTextFile("stac/utm30_2024/utm30_2024.json"))); // []
 */
export function checkItem(doc: unknown): string[] {
  const out: string[] = [];
  if (!isObj(doc)) return ["an Item is a JSON object"];
  if (doc.type !== "Feature") out.push('type: REQUIRED, "Feature"');
  if (doc.stac_version !== STAC_VERSION) out.push(`stac_version: REQUIRED, "${STAC_VERSION}"`);
  checkExtensions(doc, out);
  if (typeof doc.id !== "string" || !doc.id) out.push("id: REQUIRED non-empty string");
  if (!("geometry" in doc)) out.push("geometry: REQUIRED (a geometry or null)");
  else if (doc.geometry !== null) {
    out.push(...checkGeometry(doc.geometry, "geometry"));
    if (!("bbox" in doc)) out.push("bbox: REQUIRED when geometry is not null");
    else if (checkBbox(doc.bbox, "bbox", out) && isObj(doc.geometry)) {
      for (const p of positions(doc.geometry)) {
        if (!inBbox(doc.bbox as number[], p)) {
          out.push(`bbox: does not contain geometry position [${p}]`);
          break;
        }
      }
    }
  } else if ("bbox" in doc) out.push("bbox: not allowed when geometry is null");
  const props = doc.properties;
  if (!isObj(props)) out.push("properties: REQUIRED object");
  else {
    if (!("datetime" in props)) out.push("properties.datetime: REQUIRED (string or null)");
    else checkDatetime(props.datetime, "properties.datetime", out, true);
    if (props.datetime === null) {
      for (const k of ["start_datetime", "end_datetime"]) {
        if (!(k in props)) out.push(`properties.${k}: REQUIRED when datetime is null`);
      }
    }
    for (const k of ["start_datetime", "end_datetime"]) {
      if (k in props) checkDatetime(props[k], `properties.${k}`, out);
    }
    if (
      typeof props.start_datetime === "string" && typeof props.end_datetime === "string" &&
      Date.parse(props.start_datetime) > Date.parse(props.end_datetime)
    ) out.push("properties: start_datetime after end_datetime");
    if ("gsd" in props && !(isNum(props.gsd) && props.gsd > 0)) {
      out.push("properties.gsd: a number > 0");
    }
    for (const k of ["title", "description"]) {
      if (k in props && typeof props[k] !== "string") out.push(`properties.${k}: a string`);
    }
    checkProjFields(props, "properties", out);
  }
  checkLinks(doc.links, "links", out);
  if (!("assets" in doc)) out.push("assets: REQUIRED object");
  else checkAssets(doc.assets, "assets", out);
  const links = Array.isArray(doc.links) ? doc.links.filter(isObj) : [];
  if (links.some((l) => l.rel === "collection") && typeof doc.collection !== "string") {
    out.push("collection: REQUIRED string when a collection link is present");
  }
  if ("collection" in doc && !links.some((l) => l.rel === "collection")) {
    out.push("links: a collection link is REQUIRED when the collection field is set");
  }
  checkProjection(doc, [
    isObj(props) ? props : {},
    ...Object.values(isObj(doc.assets) ? doc.assets : {}).filter(isObj),
  ], out);
  return out;
}

/**
 * The problems of a STAC 1.1.0 Collection (with the projection extension if declared).
 *
 * @example
 * checkCollection(JSON.parse(await Deno.readTextFile("stac/collection.json"))); // []
 */
export function checkCollection(doc: unknown): string[] {
  const out: string[] = [];
  if (!isObj(doc)) return ["a Collection is a JSON object"];
  if (doc.type !== "Collection") out.push('type: REQUIRED, "Collection"');
  if (doc.stac_version !== STAC_VERSION) out.push(`stac_version: REQUIRED, "${STAC_VERSION}"`);
  checkExtensions(doc, out);
  if (typeof doc.id !== "string" || !doc.id) out.push("id: REQUIRED non-empty string");
  if (typeof doc.description !== "string" || !doc.description) {
    out.push("description: REQUIRED non-empty string");
  }
  if ("title" in doc && typeof doc.title !== "string") out.push("title: a string");
  // 1.1: an SPDX identifier or expression, or "other".
  if (typeof doc.license !== "string" || !/^[A-Za-z0-9.+\-() ]+$/.test(doc.license)) {
    out.push('license: REQUIRED SPDX identifier/expression or "other"');
  }
  if (
    "keywords" in doc &&
    (!Array.isArray(doc.keywords) || !doc.keywords.every((k) => typeof k === "string"))
  ) {
    out.push("keywords: an array of strings");
  }
  const extent = doc.extent;
  if (!isObj(extent)) out.push("extent: REQUIRED object");
  else {
    const sp = extent.spatial, tm = extent.temporal;
    if (!isObj(sp) || !Array.isArray(sp.bbox) || sp.bbox.length === 0) {
      out.push("extent.spatial.bbox: REQUIRED array of at least one bbox");
    } else {
      sp.bbox.forEach((b, i) => checkBbox(b, `extent.spatial.bbox[${i}]`, out));
      const first = sp.bbox[0] as number[];
      for (const b of sp.bbox.slice(1) as number[][]) {
        if (!inBbox(first, [b[0], b[1]]) || !inBbox(first, [b[2], b[3]])) {
          out.push(`extent.spatial.bbox[0]: the first bbox holds every other ([${b}] is out)`);
        }
      }
    }
    if (!isObj(tm) || !Array.isArray(tm.interval) || tm.interval.length === 0) {
      out.push("extent.temporal.interval: REQUIRED array of at least one interval");
    } else {
      tm.interval.forEach((iv, i) => {
        const ip = `extent.temporal.interval[${i}]`;
        if (!Array.isArray(iv) || iv.length !== 2) return void out.push(`${ip}: [start, end]`);
        if (iv[0] === null && iv[1] === null) out.push(`${ip}: start and end cannot both be open`);
        iv.forEach((t, j) => checkDatetime(t, `${ip}[${j}]`, out, true));
        if (typeof iv[0] === "string" && typeof iv[1] === "string" && iv[0] > iv[1]) {
          out.push(`${ip}: start after end`);
        }
      });
    }
  }
  checkLinks(doc.links, "links", out);
  if ("summaries" in doc && !isObj(doc.summaries)) out.push("summaries: an object");
  if ("assets" in doc) checkAssets(doc.assets, "assets", out);
  if ("item_assets" in doc) checkAssets(doc.item_assets, "item_assets", out, true);
  const holders = [
    ...Object.values(isObj(doc.assets) ? doc.assets : {}),
    ...Object.values(isObj(doc.item_assets) ? doc.item_assets : {}),
    isObj(doc.summaries) ? doc.summaries : {},
  ].filter(isObj);
  checkProjection(doc, holders, out);
  return out;
}
