/**
 * The Range header table shared by the pure parser test and the HTTP test: header, file size,
 * and the expected answer (`[start, end]` inclusive for 206, "full" for 200, 416).
 */
export type Expected = [number, number] | "full" | 416;

export const RANGE_CASES: readonly { header: string | null; size: number; want: Expected }[] = [
  // first-last
  { header: "bytes=0-99", size: 1000, want: [0, 99] },
  { header: "bytes=0-0", size: 1000, want: [0, 0] },
  { header: "bytes=999-999", size: 1000, want: [999, 999] },
  { header: "bytes=10-999", size: 1000, want: [10, 999] },
  { header: "bytes=0-999", size: 1000, want: [0, 999] },
  // last past the end clamps
  { header: "bytes=990-2000", size: 1000, want: [990, 999] },
  { header: "bytes=0-99999999999999999999", size: 1000, want: [0, 999] },
  // open-ended
  { header: "bytes=500-", size: 1000, want: [500, 999] },
  { header: "bytes=0-", size: 1000, want: [0, 999] },
  { header: "bytes=999-", size: 1000, want: [999, 999] },
  // suffix
  { header: "bytes=-10", size: 1000, want: [990, 999] },
  { header: "bytes=-1", size: 1000, want: [999, 999] },
  { header: "bytes=-1000", size: 1000, want: [0, 999] },
  { header: "bytes=-5000", size: 1000, want: [0, 999] },
  // unsatisfiable
  { header: "bytes=1000-", size: 1000, want: 416 },
  { header: "bytes=1000-1005", size: 1000, want: 416 },
  { header: "bytes=5000-6000", size: 1000, want: 416 },
  { header: "bytes=99999999999999999999-", size: 1000, want: 416 },
  { header: "bytes=-0", size: 1000, want: 416 },
  { header: "bytes=0-", size: 0, want: 416 },
  { header: "bytes=0-0", size: 0, want: 416 },
  { header: "bytes=-0", size: 0, want: 416 },
  // a suffix of an empty file has nothing to range over: the (empty) whole
  { header: "bytes=-5", size: 0, want: "full" },
  // ignored: send the whole file
  { header: null, size: 1000, want: "full" },
  { header: "bytes=5-3", size: 1000, want: "full" },
  { header: "bytes=0-1,5-6", size: 1000, want: "full" },
  { header: "bytes=0-1, 5-6", size: 1000, want: "full" },
  { header: "bytes=-5,-3", size: 1000, want: "full" },
  { header: "bytes=", size: 1000, want: "full" },
  { header: "bytes=-", size: 1000, want: "full" },
  { header: "bytes", size: 1000, want: "full" },
  { header: "bytes=abc", size: 1000, want: "full" },
  { header: "bytes=1-2-3", size: 1000, want: "full" },
  { header: "bytes=0x10-20", size: 1000, want: "full" },
  { header: "bytes=+1-2", size: 1000, want: "full" },
  { header: "bytes=1.5-2", size: 1000, want: "full" },
  { header: "bytes=-1-2", size: 1000, want: "full" },
  { header: "items=0-5", size: 1000, want: "full" },
  { header: "garbage", size: 1000, want: "full" },
  { header: "", size: 1000, want: "full" },
  // the unit is case-insensitive; whitespace around the range is tolerated
  { header: "BYTES=0-4", size: 1000, want: [0, 4] },
  { header: "bytes= 1-2", size: 1000, want: [1, 2] },
];
