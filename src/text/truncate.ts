/**
 * Shortens untrusted text quoted in a message (a licence expression, a cell, a field), so one
 * hostile input cannot make a report or a log line as large as itself. Cuts at a code-point
 * boundary and says how much was left out.
 */
export function truncateUntrusted(text: string, maxChars = 200): string {
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars - 3);
  // Do not split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}... (${text.length} characters)`;
}

/**
 * Untrusted text quoted in a message: shortened by truncateUntrusted, then written as a JSON
 * string (double quotes; quotes, backslashes and control characters escaped). Other values
 * (a number, null, an object from a hostile document) are written as JSON, shortened the same way.
 */
export function quoteUntrusted(value: unknown, maxChars = 200): string {
  if (typeof value === 'string') return JSON.stringify(truncateUntrusted(value, maxChars));
  // JSON.stringify gives undefined for undefined and functions, whatever its declared type says.
  const json = JSON.stringify(value) as string | undefined;
  return truncateUntrusted(json ?? String(value), maxChars);
}
