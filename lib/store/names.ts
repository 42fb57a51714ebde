/**
 * Store names: a zone store is the directory (or URL path segment) `utm{ZZ}_{YYYY}.zarr`, zone
 * zero-padded. One pattern for every place that lists, filters or identifies stores. Pure,
 * browser-safe.
 */

/** `utm{ZZ}_{YYYY}.zarr`: group 1 is the zone, group 2 the year. */
export const STORE_NAME_PATTERN = /^utm(\d{2})_(\d{4})\.zarr$/;

/**
 * Store name of a zone and year.
 *
 * @example
 * ```ts
 * storeName(5, 2024); // "utm05_2024.zarr"
 * ```
 */
export function storeName(zone: number, year: number): string {
  return `utm${String(zone).padStart(2, "0")}_${year}.zarr`;
}

/**
 * Zone and year of a store name `utm{ZZ}_{YYYY}.zarr`, or undefined for any other name.
 *
 * @example
 * ```ts
 * parseStoreName("utm05_2024.zarr"); // { zone: 5, year: 2024 }
 * parseStoreName("global_rgb_2024.zarr"); // undefined
 * ```
 */
export function parseStoreName(name: string): { zone: number; year: number } | undefined {
  const m = STORE_NAME_PATTERN.exec(name);
  return m ? { zone: Number(m[1]), year: Number(m[2]) } : undefined;
}

/**
 * Whether `name` is a zone store's name.
 *
 * @example
 * ```ts
 * isStoreName("utm30_2024.zarr"); // true
 * isStoreName("utm30_2024.zarr.old"); // false
 * ```
 */
export function isStoreName(name: string): boolean {
  return STORE_NAME_PATTERN.test(name);
}

/**
 * The last segment of a store's path or URL (trailing slashes ignored): its name.
 *
 * @example
 * ```ts
 * storeBasename("http://127.0.0.1:8000/zarr/utm30_2024.zarr/"); // "utm30_2024.zarr"
 * storeBasename("out\\utm31_2024.zarr"); // "utm31_2024.zarr"
 * ```
 */
export function storeBasename(where: string): string {
  const trimmed = where.replace(/[\\/]+$/, "");
  return trimmed.split(/[\\/]/).at(-1) || trimmed;
}
