/**
 * The one escaping function for untrusted text in line-oriented output (text reports, SBOM
 * diffs, drift tables, Authenticode descriptions, CLI messages).
 *
 * Escaped, as `\xNN` or `\uNNNN`:
 * - C0 and C1 controls and DEL, line feed and carriage return included: a field holding a
 *   newline could otherwise forge a whole line (`PASS ...`) in a CI log, and escape sequences
 *   could rewrite the terminal;
 * - U+2028 and U+2029 (line and paragraph separators), which some viewers break lines at;
 * - bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which
 *   reorder how the rest of a line reads (Trojan Source, CVE-2021-42574);
 * - invisible format characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), so a name with a
 *   zero-width character does not look like the name it imitates.
 * Text with none of these is returned unchanged. Apply it to each line (or field) before lines
 * are joined: the renderer's own line breaks are the only ones in the output.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- the point is to match control characters
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Lines of a text output, each escaped, joined with newlines and ending in one. */
export function joinTextLines(lines: readonly string[]): string {
  return `${lines.map(escapeText).join('\n')}\n`;
}
