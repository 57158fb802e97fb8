/**
 * The largest even-sized frame that keeps the aspect ratio and fits "1080p"
 * whichever way the video is held: the long side ≤ `maxLong`, the short side
 * ≤ `maxShort` (H.264 in yuv420p needs even sizes).
 */
export function fitWithin(
  width: number,
  height: number,
  maxLong = 1920,
  maxShort = 1080,
): { width: number; height: number } {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const scale = Math.min(1, maxLong / long, maxShort / short);
  return { width: evenFloor(width * scale), height: evenFloor(height * scale) };
}

function evenFloor(n: number): number {
  // 720 × (480 / 720) is 479.99999999999994 in floating point: round off
  // that error before flooring, or a 480 p target comes out 478.
  return Math.max(2, Math.floor(n / 2 + 1e-9) * 2);
}
