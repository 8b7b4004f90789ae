/**
 * The one normal form of a product name, used before every catalog lookup (managed products,
 * RMM tools, allowlist entries). An inventory name is untrusted text: a tool renamed with a
 * zero-width space, a Cyrillic letter, full-width letters or an inner space must still be
 * recognised, so names are compared by their *skeleton*:
 *
 * 1. Unicode NFKC (full-width `ＡｎｙＤｅｓｋ`, mathematical letters, ligatures → plain letters);
 * 2. invisible characters removed: zero-width spaces and joiners, bidi marks, embeddings,
 *    overrides and isolates, the BOM, soft hyphens, variation selectors, tag characters,
 *    Hangul fillers (they render as nothing, so `Any\u200BDesk` looks like `AnyDesk`);
 * 3. lookalike letters folded to Latin (CONFUSABLES: Cyrillic, Greek, Armenian and Latin
 *    lookalikes from Unicode's confusables.txt that share a glyph with an ASCII letter);
 * 4. lower case, then accents removed (NFD, combining marks dropped: `Téamviewer`);
 * 5. split into tokens of letters and digits; every other character (spaces of any kind,
 *    punctuation, `-`, `_`, `.`) only separates tokens. Parentheses are kept as tokens, since
 *    a parenthesised suffix means something (`ScreenConnect Client (1a2b…)`).
 *
 * Two names are the same when their tokens joined without separators (the `compact` form) are
 * equal, so `Any Desk`, `any-desk` and `ANYDESK` are one name. Digits are not folded into
 * letters (`0`/`o`, `1`/`l`): versions are digits, and folding them would make names collide.
 */

/**
 * Characters that render as nothing or only steer the layout (removed, not separators), as
 * code point ranges: soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul
 * fillers, Khmer inherent vowels, Mongolian selectors and vowel separator, zero-width
 * space/joiners, LRM/RLM, bidi embeddings/overrides, word joiner, invisible operators, bidi
 * isolates, deprecated format controls, variation selectors, BOM, tag characters.
 */
const INVISIBLE: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

function isInvisible(codePoint: number): boolean {
  for (const [low, high] of INVISIBLE) if (codePoint >= low && codePoint <= high) return true;
  return false;
}

function withoutInvisible(text: string): string {
  let out = '';
  for (const char of text) if (!isInvisible(char.codePointAt(0) as number)) out += char;
  return out;
}

/**
 * Lookalikes → Latin, both cases (from Unicode confusables.txt, restricted to characters whose
 * usual glyph is the Latin letter's). Applied after NFKC, before lower-casing.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic capitals
  А: 'A',
  В: 'B',
  С: 'C',
  Е: 'E',
  Ѕ: 'S',
  І: 'I',
  Ї: 'I',
  Ј: 'J',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  Т: 'T',
  Х: 'X',
  У: 'Y',
  Ү: 'Y',
  Ԁ: 'D',
  Ԛ: 'Q',
  Ԝ: 'W',
  Ӏ: 'I',
  Ꙅ: 'S',
  // Cyrillic small
  а: 'a',
  в: 'b',
  с: 'c',
  е: 'e',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  т: 't',
  х: 'x',
  у: 'y',
  ү: 'y',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  һ: 'h',
  ѵ: 'v',
  г: 'r',
  ԍ: 'g',
  ꙅ: 's',
  // Greek capitals
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  Ϲ: 'C',
  Ϳ: 'J',
  // Greek small
  α: 'a',
  ο: 'o',
  ρ: 'p',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  υ: 'u',
  τ: 't',
  χ: 'x',
  ε: 'e',
  ϲ: 'c',
  ϳ: 'j',
  γ: 'y',
  ω: 'w',
  // Armenian
  օ: 'o',
  ս: 'u',
  հ: 'h',
  ո: 'n',
  ց: 'g',
  զ: 'q',
  Օ: 'O',
  Ս: 'U',
  // Latin lookalikes NFKC leaves alone
  ı: 'i',
  ȷ: 'j',
  ɑ: 'a',
  ɡ: 'g',
  ɩ: 'i',
  ʏ: 'y',
  ᴀ: 'a',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ᴋ: 'k',
  ᴍ: 'm',
  ᴏ: 'o',
  ᴘ: 'p',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ᴢ: 'z',
  ʀ: 'r',
  ɴ: 'n',
  ʜ: 'h',
  ɪ: 'i',
  ʟ: 'l',
  ꜱ: 's',
  ɢ: 'g',
  ʙ: 'b',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

const TOKEN = /[\p{L}\p{N}]+|[()]/gu;
const MARKS = /\p{M}/gu;

/** A name in normal form. */
export interface NormalName {
  /** Tokens: runs of letters/digits in the skeleton, and `(` / `)`. */
  readonly tokens: readonly string[];
  /** The letter/digit tokens joined without separators: the comparison key. */
  readonly compact: string;
  /**
   * For each letter/digit token, the length of `compact` after it: the places where a
   * catalog name may end inside this name (used for prefix matches).
   */
  readonly ends: readonly number[];
}

/** The skeleton text of a name (steps 1–4 above), before tokenising. */
export function skeleton(name: string): string {
  return withoutInvisible(name.normalize('NFKC'))
    .replace(CONFUSABLE_CHARS, (c) => CONFUSABLES[c] ?? c)
    .toLowerCase()
    .normalize('NFD')
    .replace(MARKS, '')
    .normalize('NFC');
}

export function normaliseName(name: string): NormalName {
  const tokens = skeleton(name).match(TOKEN) ?? [];
  const ends: number[] = [];
  let compact = '';
  for (const token of tokens) {
    if (token === '(' || token === ')') continue;
    compact += token;
    ends.push(compact.length);
  }
  return { tokens, compact, ends };
}

/** The comparison key of a name: equal keys mean the same name. */
export function nameKey(name: string): string {
  return normaliseName(name).compact;
}
