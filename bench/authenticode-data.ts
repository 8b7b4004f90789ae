/**
 * Inputs of bench/authenticode.ts, made once and kept in bench/out/ (re-made when the test PKI
 * is regenerated): N osslsigncode-signed PE files of mixed sizes, a signed manifest pinning
 * them with the test CA as Authenticode signer, and one signed PE of about 100 MB.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ensureAuthenticodeFixtures } from '../test/fixtures/authenticode/generate.ts';
import { buildPe } from '../test/fixtures/authenticode/pe-builder.ts';
import { OUT_DIR, quick, rmmVerify, runOnce } from './compare.ts';

const run = promisify(execFile);
export const count = quick ? 100 : 1000;
const bigSize = (quick ? 20 : 100) * 1_000_000;
const SIZES = [4 << 10, 32 << 10, 256 << 10, 1 << 20, 2 << 20]; // section bytes, cycled

export const fixtures = await ensureAuthenticodeFixtures();
export const ca = join(fixtures, 'ca.pem');
const pki = createHash('sha256').update(readFileSync(ca)).digest('hex');

async function sign(unsigned: string, signed: string): Promise<void> {
  await run('osslsigncode', [
    'sign',
    '-certs',
    join(fixtures, 'leaf.pem'),
    '-key',
    join(fixtures, 'leaf.key'),
    '-h',
    'sha256',
    '-TSA-certs',
    join(fixtures, 'tsa-chain.pem'),
    '-TSA-key',
    join(fixtures, 'tsa.key'),
    '-TSA-time',
    '1767225600',
    '-in',
    unsigned,
    '-out',
    signed,
  ]);
  rmSync(unsigned);
}

/** N signed PEs, made once and kept in bench/out/ (gitignored). */
export async function signedCorpus(): Promise<string> {
  const dir = join(OUT_DIR, `authenticode-${count}`);
  // Re-sign when the fixture PKI was regenerated (new keys), or the corpus would not verify.
  const stamp = join(dir, 'DONE');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pki) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`signing ${count} PE files with osslsigncode (once; kept in ${dir}) ...`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const size = SIZES[index % SIZES.length] ?? 4096;
      const unsigned = join(dir, `u${index}.tmp`);
      writeFileSync(
        unsigned,
        buildPe({
          kind: index % 2 ? 'pe32' : 'pe32+',
          sections: [size, 2000],
          overlay: index % 3 ? 0 : 500,
          seed: index + 1,
        }),
      );
      await sign(unsigned, join(dir, `f${String(index).padStart(4, '0')}.exe`));
    }
  };
  await Promise.all([worker(), worker()]);
  writeFileSync(stamp, pki);
  return dir;
}

/** One signed PE of about `bigSize` bytes: a single section of pseudo-random bytes. */
export async function bigSignedPe(): Promise<string> {
  const big = join(OUT_DIR, `authenticode-big-${bigSize}.exe`);
  const stamp = `${big}.pki`;
  if (existsSync(big) && existsSync(stamp) && readFileSync(stamp, 'utf8') === pki) return big;
  const pe = Buffer.from(buildPe({ kind: 'pe32+', sections: [4096], seed: 99 }));
  const optional = pe.readUInt32LE(0x3c) + 24;
  const section = optional + 240;
  const raw = Math.ceil(bigSize / 512) * 512;
  pe.writeUInt32LE(raw, section + 8);
  pe.writeUInt32LE(raw, section + 16);
  const headers = pe.readUInt32LE(section + 20);
  const unsigned = `${big}.tmp`;
  const fd = openSync(unsigned, 'w');
  writeSync(fd, pe.subarray(0, headers));
  const chunk = Buffer.alloc(8 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let written = 0; written < raw; written += chunk.length)
    writeSync(fd, chunk.subarray(0, Math.min(chunk.length, raw - written)));
  closeSync(fd);
  await sign(unsigned, big);
  writeFileSync(stamp, pki);
  return big;
}

/** The corpus's files, sorted, and their total size (reading them also warms the page cache). */
export function corpusFiles(corpus: string): { files: string[]; totalBytes: number } {
  const files = readdirSync(corpus)
    .filter((f) => f.endsWith('.exe'))
    .sort()
    .map((f) => join(corpus, f));
  let totalBytes = 0;
  for (const file of files) totalBytes += readFileSync(file).length;
  return { files, totalBytes };
}

/**
 * A trust root and a signed manifest pinning every file of the corpus (size, sha256, sha512)
 * with the test CA as the Authenticode signer, made with rmm-verify's own commands.
 */
export function corpusManifest(corpus: string): { manifest: string; trust: string } {
  const dir = join(corpus, 'manifest');
  const manifest = join(dir, 'corpus.json');
  const trust = join(dir, 'trust', 'trust.json');
  const stamp = join(dir, 'DONE');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pki) return { manifest, trust };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'trust'), { recursive: true });
  const cli = (args: string[]): void => {
    runOnce(rmmVerify('setup', args));
  };
  cli(['keys', 'generate', '--name', 'bench', '--out', join(dir, 'keys'), '--add-to', trust]);
  const { files } = corpusFiles(corpus);
  cli([
    'pin',
    ...files,
    '--manifest',
    manifest,
    '--version',
    '1.0.0',
    '--platform',
    'windows-x64',
    '--product',
    'bench-agent',
    '--vendor',
    'Bench',
    '--target',
  ]);
  const document = JSON.parse(readFileSync(manifest, 'utf8')) as { signers: Record<string, unknown> };
  document.signers['authenticode'] = [{ subject: 'Acme RMM Inc', roots: [ca] }];
  writeFileSync(manifest, `${JSON.stringify(document, null, 2)}\n`);
  cli(['manifest', 'sign', manifest, '--key', join(dir, 'keys', 'bench.key')]);
  writeFileSync(stamp, pki);
  return { manifest, trust };
}
