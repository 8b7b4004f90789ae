import { nameKey } from './product-name.ts';

/**
 * The one normal form of a tool instance's identity: the server or account an agent answers to
 * (ScreenConnect / ConnectWise Control: the instance id in `ScreenConnect Client (1a2b…)` or the
 * relay host; MeshCentral: the server id (hash of its certificate), the mesh id or the server
 * URL; others: the account or server an inventory column carries).
 *
 * An instance is an allowlist key, so it is compared *exactly*, never folded like product names:
 * folding lookalike letters would let an attacker's `relаy.example.com` (Cyrillic а) pass as
 * ours. The normal form only undoes what is spelling, not identity:
 * 1. surrounding white space trimmed;
 * 2. a URL (`wss://mesh.example.com:443/agent.ashx`) or `host:port` becomes its host: what
 *    names the instance is the server, not the path or port (user info is dropped too);
 * 3. a host's trailing dot dropped (`relay.example.com.` is `relay.example.com`);
 * 4. ASCII letters lower-cased (hosts, hex ids and MeshCentral's base64-like ids are written in
 *    either case by different exports; MeshCentral's `$`/`@` prefixes are kept).
 * Anything else stays as it is. An instance with a character outside printable ASCII (control,
 * invisible, non-Latin letters) is *suspect*: allowlists only hold printable ASCII (hosts in
 * their xn-- form), so it never matches one, and its finding says which listed instance it
 * resembles (`resembles`, by the product-name skeleton).
 */
export function normaliseInstance(raw: string): string {
  let text = raw.trim();
  if (text === '') return '';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (scheme !== null) {
    text = text.slice(scheme[0].length);
    const end = text.search(/[/?#]/);
    if (end >= 0) text = text.slice(0, end);
    const at = text.lastIndexOf('@');
    if (at >= 0) text = text.slice(at + 1);
  }
  // host:port (one colon, digits after it: not an IPv6 literal or a `$`-prefixed id).
  const port = /^([^:]+):\d{1,5}$/.exec(text);
  if (port !== null) text = port[1] as string;
  if (text.length > 1 && text.endsWith('.')) text = text.slice(0, -1);
  return asciiLower(text);
}

/** True when the instance holds only printable ASCII (what an allowlist may name). */
export function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/**
 * The listed instance an unlisted one looks like (same product-name skeleton: lookalike
 * letters, invisible characters, case and separators ignored), or undefined.
 */
export function resemblance(instance: string, listed: Iterable<string>): string | undefined {
  const key = nameKey(instance);
  if (key === '') return undefined;
  for (const candidate of listed) if (candidate !== instance && nameKey(candidate) === key) return candidate;
  return undefined;
}

/** Printable form of an untrusted instance for messages: controls and non-ASCII as \u escapes. */
export function escapeInstance(instance: string, maxChars = 120): string {
  let out = '';
  for (const char of instance) {
    const code = char.codePointAt(0) as number;
    out +=
      code >= 0x20 && code <= 0x7e
        ? char
        : code > 0xffff
          ? `\\u{${code.toString(16)}}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
    if (out.length >= maxChars) return `${out.slice(0, maxChars)}... (${instance.length} characters)`;
  }
  return out;
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}
