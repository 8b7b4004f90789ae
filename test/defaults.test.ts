import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openCompoundFile } from '../src/authenticode/compound-file.ts';
import { bufferSource, type ByteSource } from '../src/authenticode/source.ts';
import { verifyAuthenticode } from '../src/authenticode/verifier.ts';
import { defaults } from '../src/defaults.ts';
import { RmmVerifyError } from '../src/errors.ts';
import { loadDriftConfig } from '../src/fleet/config.ts';
import { loadOsvFile } from '../src/fleet/osv.ts';
import { readBoundedFile } from '../src/json/read-bounded.ts';
import { parseHashList } from '../src/manifest/hash-list.ts';
import { loadManifestFile } from '../src/manifest/load.ts';
import { readSignatureFile } from '../src/manifest/signature-file.ts';
import { readState } from '../src/manifest/state.ts';
import { loadTrustRoot } from '../src/manifest/trust-root.ts';
import { parseSbom, readPolicyFile, readSbomFile } from '../src/sbom/index.ts';
import { loadBundles, parseBundleBytes } from '../src/sigstore/bundle.ts';
import { loadTrustedRoot } from '../src/sigstore/trusted-root.ts';
import { buildFlatCompoundFile } from './fixtures/authenticode/msi-builder.ts';
import { buildPe } from './fixtures/authenticode/pe-builder.ts';

/**
 * Resource budgets, one per input kind: a hostile input is refused at its cap (in src/defaults.ts)
 * with a located, coded input error naming the file and the cap, after work bounded by the cap,
 * not by the input. No timing: work is counted (bytes read, records kept) and memory is a child
 * process's peak RSS with a small V8 heap. Inventories (CSV record and line caps, the gzip ratio
 * and absolute caps, osquery arrays) have theirs in test/fleet/hostile.test.ts, artifacts (read
 * at most the pinned size + 1) in test/digest/multi-hash.test.ts.
 */
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rmm-verify-budgets-'));
});
afterAll(() => {
  // The inventories below are a few hundred MB on disk.
  rmSync(dir, { recursive: true, force: true });
});

/** A sparse file of `size` bytes (no disk, no memory): what a hostile or corrupt input may claim. */
function sparse(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

async function refusal(action: () => Promise<unknown>): Promise<RmmVerifyError> {
  const error: unknown = await action().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof RmmVerifyError)) throw new Error(`expected an input error, got ${String(error)}`);
  return error;
}

/** Every file read whole: the loader, its cap, and the file name it is given. */
const WHOLE_FILE_KINDS: readonly [kind: string, cap: number, load: (path: string) => Promise<unknown>][] = [
  ['manifest', defaults.maxManifestBytes, loadManifestFile],
  ['trust root', defaults.maxTrustRootBytes, loadTrustRoot],
  ['signature file', defaults.maxSignatureBytes, readSignatureFile],
  ['state file', defaults.maxStateBytes, readState],
  ['Sigstore bundle', defaults.maxBundleBytes, loadBundles],
  ['Sigstore trusted root', defaults.maxTrustedRootBytes, loadTrustedRoot],
  ['SBOM', defaults.maxSbomBytes, (path) => readSbomFile(path)],
  ['SBOM policy', defaults.maxSbomPolicyBytes, readPolicyFile],
  ['drift config', defaults.maxDriftConfigBytes, loadDriftConfig],
  ['OSV file', defaults.maxManifestBytes, loadOsvFile],
  [
    'hash list',
    defaults.maxHashListBytes,
    (path) => readBoundedFile(path, defaults.maxHashListBytes, 'hash list'),
  ],
];

describe('resource budgets: whole-file inputs', () => {
  it.each(WHOLE_FILE_KINDS)(
    '%s: one byte over the cap is refused naming the file and the cap',
    async (kind, cap, load) => {
      const path = sparse(`${kind.replaceAll(' ', '-')}.json`, cap + 1);
      const error = await refusal(() => load(path));
      expect(error.code).toBe('INPUT_TOO_LARGE');
      expect(error.location.file).toBe(path);
      expect(error.message).toContain(String(cap));
    },
  );

  it('a 1 GiB file of every kind is refused in a child with a 64 MiB heap, peak RSS independent of the size', () => {
    // Before a file's size was checked up front, the SBOM loader allocated its whole cap (256 MiB)
    // and read it all before refusing.
    const files = WHOLE_FILE_KINDS.map(([kind]) => sparse(`huge-${kind.replaceAll(' ', '-')}.json`, 1 << 30));
    const modules = {
      load: pathToFileURL(join(import.meta.dirname, '../src/manifest/load.ts')).href,
      trust: pathToFileURL(join(import.meta.dirname, '../src/manifest/trust-root.ts')).href,
      signature: pathToFileURL(join(import.meta.dirname, '../src/manifest/signature-file.ts')).href,
      state: pathToFileURL(join(import.meta.dirname, '../src/manifest/state.ts')).href,
      bundle: pathToFileURL(join(import.meta.dirname, '../src/sigstore/bundle.ts')).href,
      trusted: pathToFileURL(join(import.meta.dirname, '../src/sigstore/trusted-root.ts')).href,
      sbom: pathToFileURL(join(import.meta.dirname, '../src/sbom/index.ts')).href,
      config: pathToFileURL(join(import.meta.dirname, '../src/fleet/config.ts')).href,
      osv: pathToFileURL(join(import.meta.dirname, '../src/fleet/osv.ts')).href,
      bounded: pathToFileURL(join(import.meta.dirname, '../src/json/read-bounded.ts')).href,
    };
    const script = `
      const m = ${JSON.stringify(modules)};
      const [load, trust, signature, state, bundle, trusted, sbom, config, osv, bounded] = await Promise.all(
        Object.values(m).map((url) => import(url)));
      const loaders = [load.loadManifestFile, trust.loadTrustRoot, signature.readSignatureFile, state.readState,
        bundle.loadBundles, trusted.loadTrustedRoot, (p) => sbom.readSbomFile(p), sbom.readPolicyFile,
        config.loadDriftConfig, osv.loadOsvFile, (p) => bounded.readBoundedFile(p, ${defaults.maxHashListBytes}, 'hash list')];
      const files = ${JSON.stringify(files)};
      const codes = [];
      for (let i = 0; i < files.length; i++) {
        try { await loaders[i](files[i]); codes.push('accepted'); } catch (error) { codes.push(error.code ?? String(error)); }
      }
      console.log(JSON.stringify({ codes, maxRssKiB: process.resourceUsage().maxRSS }));
    `;
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=64', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(child.status, child.stderr).toBe(0);
    const { codes, maxRssKiB } = JSON.parse(child.stdout) as { codes: string[]; maxRssKiB: number };
    expect(codes).toEqual(WHOLE_FILE_KINDS.map(() => 'INPUT_TOO_LARGE'));
    // Node and the loaded modules alone take about 60-100 MB; none of it may scale with 1 GiB.
    expect(maxRssKiB * 1024, `peak RSS ${maxRssKiB} KiB`).toBeLessThan(192 << 20);
    if (process.env['BUDGETS_VERBOSE']) console.log(`peak RSS ${maxRssKiB} KiB`);
  });
});

describe('resource budgets: counts inside a file', () => {
  it('hash list: more than maxHashListEntries files is refused, naming the cap', () => {
    const lines = Array.from(
      { length: defaults.maxHashListEntries + 1 },
      (_, i) => `${'ab'.repeat(32)}  f${i}`,
    );
    let error: unknown;
    try {
      parseHashList(Buffer.from(lines.join('\n')), 'SHA256SUMS');
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RmmVerifyError);
    expect((error as RmmVerifyError).code).toBe('INPUT_TOO_LARGE');
    expect((error as RmmVerifyError).location.file).toBe('SHA256SUMS');
    expect((error as RmmVerifyError).message).toContain(String(defaults.maxHashListEntries));
  });

  it('Sigstore: a JSON Lines file with more than maxBundlesPerFile bundles is refused before any is parsed', () => {
    const lines = '{"mediaType":"x"}\n'.repeat(defaults.maxBundlesPerFile + 1);
    expect(() => parseBundleBytes(Buffer.from(lines), 'b.intoto.jsonl')).toThrow(
      new RegExp(
        `b\\.intoto\\.jsonl: bundle file holds ${defaults.maxBundlesPerFile + 1} bundles; the limit is ${defaults.maxBundlesPerFile}`,
      ),
    );
  });

  it('SBOM: arrays and nesting past their caps are refused with the JSON position', () => {
    const wide = Buffer.from(
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: Array(11).fill({}) }),
    );
    expect(() => parseSbom(wide, 'wide.json', { maxArrayLength: 10 })).toThrow(/wide\.json.*10/);
    const deep = Buffer.from(
      `${'['.repeat(defaults.maxSbomDepth + 1)}${']'.repeat(defaults.maxSbomDepth + 1)}`,
    );
    expect(() => parseSbom(deep, 'deep.json')).toThrow(new RegExp(`deep\\.json.*${defaults.maxSbomDepth}`));
  });

  it('MSI: a directory past maxMsiDirectoryEntries is refused at the header field, reading only the directory', async () => {
    const bytes = buildFlatCompoundFile(
      Array.from({ length: 40 }, (_, i) => ({ name: `S${i}`, data: Buffer.alloc(0) })),
    );
    let read = 0;
    const inner = bufferSource(bytes, 'many.msi');
    const source: ByteSource = {
      name: inner.name,
      size: inner.size,
      read: async (offset, length) => {
        read += length;
        return inner.read(offset, length);
      },
    };
    const error = await refusal(() =>
      openCompoundFile(source, { maxEntries: 16, maxDepth: defaults.maxMsiStorageDepth }),
    );
    expect(error.message).toMatch(
      /many\.msi at byte offset 48: directory of \d+ entries exceeds the limit of 16/,
    );
    expect(read).toBeLessThanOrEqual(bytes.length);
  });

  it('PE: a certificate table past maxCertificateTableBytes is refused at the Security directory, reading only the headers', async () => {
    const image = buildPe({ kind: 'pe32+', sections: [4000] });
    const claimed = defaults.maxCertificateTableBytes + 8;
    // PE32+: the Security data directory (index 4) is at optional header + 144.
    const securityEntry = 0x80 + 24 + 144;
    image.writeUInt32LE(image.length, securityEntry);
    image.writeUInt32LE(claimed, securityEntry + 4);
    let read = 0;
    // The file claims 16 MiB more than it is; reads past the image are zeros (nothing is allocated).
    const source: ByteSource = {
      name: 'huge-table.exe',
      size: image.length + claimed,
      read: (offset, length) => {
        read += length;
        const out = Buffer.alloc(Math.min(length, 1 << 20));
        if (offset < image.length) image.copy(out, 0, offset, Math.min(image.length, offset + out.length));
        return Promise.resolve(out);
      },
    };
    const error = await refusal(() =>
      verifyAuthenticode(source, { trust: { signers: [], systemRoots: [] }, now: new Date() }),
    );
    expect(error.code).toBe('AUTHENTICODE_MALFORMED_FILE');
    expect(error.message).toContain(
      `certificate table of ${claimed} bytes exceeds the limit of ${defaults.maxCertificateTableBytes}`,
    );
    expect(error.location).toMatchObject({ file: 'huge-table.exe', offset: securityEntry });
    expect(read).toBeLessThanOrEqual(defaults.maxPeHeaderBytes + image.length);
  });
});

describe('resource budgets: inventories (streamed) in a child with a 64 MiB heap', () => {
  it('an unclosed quote before 96 MiB of rows, a 96 MiB JSON line and a 200 MiB gzip bomb: refused, peak RSS independent of their size', async () => {
    const row = 'contoso,e1,h,acme-agent,7.4.2,,linux-x64,2026-11-28T00:00:00Z\n';
    const header = 'tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen\n';
    const rows = (megabytes: number) =>
      function* (): Generator<Buffer> {
        const block = Buffer.from(row.repeat(Math.floor((1 << 20) / row.length)));
        for (let i = 0; i < megabytes; i++) yield block;
      };
    const write = (name: string, head: string, body: () => Generator<Buffer>, gzip = false) => {
      const path = join(dir, name);
      const source = Readable.from(
        (function* () {
          yield Buffer.from(head);
          yield* body();
        })(),
      );
      return (
        gzip
          ? pipeline(source, createGzip({ level: 9 }), createWriteStream(path))
          : pipeline(source, createWriteStream(path))
      ).then(() => path);
    };
    const unclosed = await write(
      'unclosed.csv',
      `${header}contoso,e0,"unclosed,acme-agent,7.4.2,,linux-x64,x\n`,
      rows(96),
    );
    const longLine = await write('long.jsonl', '{"tenant":"contoso","endpoint_id":"', function* () {
      const block = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 96; i++) yield block;
    });
    // 200 MiB of one short row repeated: gzip (level 9) shrinks it about 500 times.
    const bomb = await write(
      'bomb.csv.gz',
      header,
      function* () {
        const block = Buffer.from('c,e,h,p,1,,,\n'.repeat(80_000));
        for (let i = 0; i < 200; i++) yield block;
      },
      true,
    );
    const url = (path: string) => pathToFileURL(join(import.meta.dirname, path)).href;
    const script = `
      const { scanDrift } = await import(${JSON.stringify(url('../src/fleet/drift.ts'))});
      const { fileSource } = await import(${JSON.stringify(url('../src/fleet/inventory.ts'))});
      const { uncheckedManifests } = await import(${JSON.stringify(url('../src/manifest/trusted.ts'))});
      const { acmeManifest } = await import(${JSON.stringify(url('./fixtures/fleet/make-fixtures.ts'))});
      const results = [];
      for (const [path, readerThread] of ${JSON.stringify([
        [unclosed, 'always'],
        [unclosed, 'never'],
        [longLine, 'never'],
        [bomb, 'always'],
        [bomb, 'never'],
      ])}) {
        try {
          await scanDrift({ manifests: uncheckedManifests([acmeManifest()]), sources: [fileSource(path)], now: new Date('2026-11-29T12:00:00Z'), readerThread, limits: { maxLineChars: 32 << 20, maxJsonDocumentBytes: 16 << 20 } });
          results.push('accepted');
        } catch (error) { results.push(error.code + ' ' + String(error.message).slice(0, 160)); }
      }
      console.log(JSON.stringify({ results, maxRssKiB: process.resourceUsage().maxRSS }));
    `;
    const scriptFile = join(dir, 'inventory-budgets.mjs');
    writeFileSync(scriptFile, script);
    const child = spawnSync(
      process.execPath,
      // A file, not --eval: the reader thread's worker inherits the flags, and --input-type with them.
      ['--max-old-space-size=64', '--max-semi-space-size=4', scriptFile],
      { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '2' } },
    );
    expect(child.status, child.stderr).toBe(0);
    const { results, maxRssKiB } = JSON.parse(child.stdout) as { results: string[]; maxRssKiB: number };
    if (process.env['BUDGETS_VERBOSE']) console.log(results, `peak RSS ${maxRssKiB} KiB`);
    expect(results[0]).toMatch(
      /^INPUT_\w+ .*unclosed\.csv:2: a record goes on for more than 33554432 characters/,
    );
    expect(results[1]).toMatch(
      /^INPUT_\w+ .*unclosed\.csv:2: a record goes on for more than 33554432 characters/,
    );
    expect(results[2]).toMatch(
      /^INPUT_TOO_LARGE .*long\.jsonl: JSON document inventory is larger than the limit of 16777216 characters/,
    );
    expect(results[3]).toMatch(
      /^INPUT_TOO_LARGE .*bomb\.csv\.gz: gzip inventory expands more than 100 times/,
    );
    expect(results[4]).toMatch(
      /^INPUT_TOO_LARGE .*bomb\.csv\.gz: gzip inventory expands more than 100 times/,
    );
    expect(maxRssKiB * 1024, `peak RSS ${maxRssKiB} KiB`).toBeLessThan(256 << 20);
  });
});
