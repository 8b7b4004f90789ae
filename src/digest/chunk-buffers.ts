/**
 * Read buffers kept between files, so verifying many files does not allocate (and collect) two
 * fresh chunks per file. Each hashing pass takes its own and gives them back when no read into
 * them is in flight any more; at most MAX_SPARE_BUFFERS are kept per thread.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 32;

/** A buffer of at least `bytes` bytes (contents undefined). */
export function takeBuffer(bytes: number): Buffer {
  const index = spareBuffers.findIndex((buffer) => buffer.length >= bytes);
  if (index < 0) return Buffer.allocUnsafe(bytes);
  const [buffer] = spareBuffers.splice(index, 1);
  return buffer ?? Buffer.allocUnsafe(bytes);
}

/** Gives a buffer back; the caller must not use it (nor have a read into it in flight) after this. */
export function giveBack(buffer: Buffer): void {
  if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
}
