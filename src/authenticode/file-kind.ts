import { CFB_MAGIC } from './compound-file.ts';
import { isPe } from './pe.ts';

/**
 * True when the first bytes look like a PE (`MZ`) or an MSI (compound file): the files the
 * Authenticode check applies to. Kept apart from the verifier so `verify` can decide whether
 * Authenticode is required without loading it.
 */
export function isAuthenticodeFile(head: Uint8Array): boolean {
  return isPe(head) || (head.length >= 8 && Buffer.compare(head.subarray(0, 8), CFB_MAGIC) === 0);
}
