/**
 * Interns strings that are looked up either whole or as a range of a larger text, without
 * slicing the range: the reader thread finds a row's tenant, product and version in the chunk
 * it parsed, so the common row allocates no strings at all. Open addressing over 32-bit hashes;
 * a hit is confirmed by comparing the characters (`startsWith` at the range: native).
 */
export class InternTable {
  private readonly keys: string[] = [];
  private readonly values: number[] = [];
  private hashes = new Int32Array(64);
  /** Key index + 1 per slot (0: empty); load at most one half. */
  private slots = new Int32Array(128);

  get size(): number {
    return this.keys.length;
  }

  /** The value stored for `text[start, end)` (whose `rangeHash` is `hash`), or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = (slots[slot] as number) - 1;
      if (index < 0) return -1;
      if (this.hashes[index] !== hash) continue;
      const key = this.keys[index] as string;
      if (key.length === length && text.startsWith(key, start)) return this.values[index] as number;
    }
  }

  /** Adds a key that `find` did not find (the caller passes its own copy of the text). */
  add(key: string, hash: number, value: number): void {
    const index = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    if (index === this.hashes.length) {
      const hashes = new Int32Array(index * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[index] = hash;
    if ((index + 1) * 2 > this.slots.length) this.slots = new Int32Array(this.slots.length * 2);
    else {
      this.place(index);
      return;
    }
    for (let i = 0; i <= index; i++) this.place(i);
  }

  private place(index: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = (this.hashes[index] as number) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = index + 1;
  }
}

/** FNV-1a over `text[start, end)`, spread by murmur3's finaliser (slots use the low bits). */
export function rangeHash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
