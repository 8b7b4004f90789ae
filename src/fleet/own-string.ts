/**
 * A copy of a string that does not keep a larger string alive: V8 represents slices of 13+
 * characters as views into their parent (here a 1 MiB chunk of the inventory), so anything
 * kept for the whole scan (tenant names, versions, finding text) is copied once.
 */
export function ownString(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
