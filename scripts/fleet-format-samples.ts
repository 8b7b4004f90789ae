/**
 * Writes the binary and re-encoded inventory samples in examples/fleet/formats/ from the
 * hand-written ones beside them (`node scripts/fleet-format-samples.ts`; deterministic: gzip
 * headers carry no time stamp). A test checks that the committed files equal what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const FORMATS_DIR = fileURLToPath(new URL('../examples/fleet/formats/', import.meta.url));

/** File name → content, derived from the hand-written samples. */
export function derivedSamples(): Map<string, Buffer> {
  const read = (name: string) => readFileSync(`${FORMATS_DIR}${name}`);
  const out = new Map<string, Buffer>();
  // Defender "export software inventory assessment via files": gzip-compressed JSON Lines, one
  // object per line with the fields of the JSON response.
  const defender = JSON.parse(read('defender-software-inventory.json').toString('utf8')) as {
    value: unknown[];
  };
  out.set(
    'defender-software-inventory-files.json.gz',
    gzipSync(defender.value.map((row) => JSON.stringify(row)).join('\n') + '\n', { level: 9 }),
  );
  // Windows tools' text encodings, each with its byte-order mark.
  const text = read('powershell-export-csv.csv').toString('utf8');
  const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const utf16be = Buffer.from(utf16le);
  utf16be.swap16();
  utf16be[0] = 0xfe;
  utf16be[1] = 0xff;
  out.set('powershell-export-csv.utf16le.csv', utf16le);
  out.set('powershell-export-csv.utf16be.csv', utf16be);
  out.set(
    'powershell-export-csv.utf8bom.csv',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
  );
  return out;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const [name, content] of derivedSamples()) writeFileSync(`${FORMATS_DIR}${name}`, content);
}
