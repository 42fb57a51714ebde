/**
 * Typed errors. Every defect a user can meet (a truncated tile, a bad landmask, a wrong
 * registry) is a `TesseraError` with a `kind`, the offending `path` when there is one, and a
 * message that says what to do. Callers branch on `kind`, never on message text.
 */

/** Every kind of error the toolkit reports. */
export type ErrorKind =
  // .npy files
  | "MissingFile"
  | "TruncatedNpy"
  | "BadNpy"
  | "WrongDtype"
  | "ShapeMismatch"
  // scales
  | "BadScales"
  // landmask GeoTIFFs
  | "BadLandmask"
  | "LandmaskMismatch"
  // registry and discovery
  | "BadRegistry"
  | "BadTileName"
  // remote tiles (lib/tiles/remote.ts) and registry hashes
  | "RemoteFetch"
  | "HashMismatch"
  // grid maths
  | "BadGrid"
  // stores and builds
  | "BadStore"
  | "StoreLocked"
  | "StoreExists"
  // a long operation stopped by a signal or an AbortSignal
  | "Interrupted"
  | "BadArgument";

/** An error with a machine-readable kind and, where relevant, the file it concerns. */
export class TesseraError extends Error {
  readonly kind: ErrorKind;
  readonly path?: string;

  constructor(kind: ErrorKind, message: string, path?: string, options?: ErrorOptions) {
    super(path ? `${path}: ${message}` : message, options);
    this.name = kind;
    this.kind = kind;
    this.path = path;
  }
}

/** True when `e` is a TesseraError (optionally of the given kind). */
export function isTesseraError(e: unknown, kind?: ErrorKind): e is TesseraError {
  return e instanceof TesseraError && (kind === undefined || e.kind === kind);
}
