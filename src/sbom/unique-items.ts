/*
 * JSON Schema `uniqueItems` in one pass. ajv checks it on arrays of objects by comparing every
 * pair (quadratic: hours for 50,000 components); the precompiled CycloneDX validators
 * (scripts/build-validators.ts) call firstDuplicate instead, which gives the same verdict.
 */

/** JSON text with object keys sorted: equal for exactly the values JSON Schema calls equal. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
}

/**
 * A cheap key that equal values share (sorted keys and top-level primitive values); unequal
 * values usually differ in it already, so the full canonical form is built only on collisions.
 */
function shallowKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.length}`;
  const record = value as Record<string, unknown>;
  let key = '{';
  for (const k of Object.keys(record).sort()) {
    const v = record[k];
    key += `${JSON.stringify(k)}:${v === null || typeof v !== 'object' ? JSON.stringify(v) : typeof v},`;
  }
  return key;
}

/**
 * Components, services and dependency entries carry an identifier (`bom-ref`, `ref`): equal
 * items have equal identifiers, so it is a valid (and cheap) bucket key.
 */
function identityKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const bomRef = record['bom-ref'];
  if (typeof bomRef === 'string') return `bom-ref\u0000${bomRef}`;
  const ref = record['ref'];
  if (typeof ref === 'string') return `ref\u0000${ref}`;
  return undefined;
}

/**
 * Index of the first item equal to an earlier one (JSON Schema equality), or -1. Linear in the
 * total size of the items: each item's canonical form is built at most once, and only when its
 * cheap key collides with an earlier item's (many components may share one bom-ref, so comparing
 * against every earlier item of a bucket would be quadratic again).
 */
export function firstDuplicate(items: readonly unknown[]): number {
  if (items.length < 2) return -1;
  // Cheap key → the first item with that key, until a second arrives; then the set of the
  // canonical forms of every item with that key.
  const buckets = new Map<string, { first: unknown } | Set<string>>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const key = identityKey(item) ?? shallowKey(item);
    const bucket = buckets.get(key);
    if (bucket === undefined) {
      buckets.set(key, { first: item });
      continue;
    }
    // Numbers: JSON Schema compares mathematically (1 equals 1.0); JSON.stringify agrees.
    const full = canonical(item);
    if (bucket instanceof Set) {
      if (bucket.has(full)) return i;
      bucket.add(full);
      continue;
    }
    const first = canonical(bucket.first);
    if (first === full) return i;
    buckets.set(key, new Set([first, full]));
  }
  return -1;
}
