import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseHashList } from '../../src/manifest/hash-list.ts';
import { fuzzParameters, mutatedBytes, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';

const MESHCENTRAL = new URL('../fixtures/meshcentral/hashagents-1.1.55.json', import.meta.url);
const H256 = 'ab'.repeat(32);
const H384 = 'cd'.repeat(48);
const H512 = 'ef'.repeat(64);

function parse(text: string, format?: 'meshcentral' | 'sums' | 'csv') {
  return parseHashList(Buffer.from(text), 'LIST', format);
}

function inputError(text: string, format?: 'meshcentral' | 'sums' | 'csv'): InputError {
  try {
    parse(text, format);
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an input error');
}

describe('vendor hash lists', () => {
  it("reads MeshCentral 1.1.55's own hashagents.json: every agent with its platform, size and SHA-384", async () => {
    const bytes = await readFile(MESHCENTRAL);
    const list = parseHashList(bytes, 'hashagents.json');
    expect(list.format).toBe('meshcentral');
    expect(list.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(list.entries).toHaveLength(23);
    const service64 = list.entries.find((e) => e.name === 'MeshService64.exe');
    expect(service64).toMatchObject({
      platform: 'windows-x64',
      size: 3_439_616,
      digests: {
        sha384:
          '168572e0999089de09b751255c908a4c2b80056d6dfaffdb8b76f4a81847c8a4e162d6c303c14a837bbe8e6802ac6992',
      },
      location: { pointer: '/4' },
    });
    expect(list.entries.find((e) => e.name === 'meshagent_osx-universal-64')?.platform).toBe(
      'macos-universal',
    );
    // Every id in the real list maps to a platform.
    expect(list.entries.every((e) => e.platform !== undefined)).toBe(true);
  });

  it('reads sha256sum, sha512sum, binary-mode, escaped and BSD-tag lines', () => {
    const list = parse(
      [
        `${H256}  agent-7.4.2.msi`,
        `${H512} *dist/agent-7.4.2.tar.gz`,
        `\\${H256}  win\\\\agent.exe`,
        `SHA384 (agent.pkg) = ${H384.toUpperCase()}`,
        '',
      ].join('\r\n'),
    );
    expect(list.format).toBe('sums');
    expect(list.entries.map((e) => [e.path, e.name, Object.keys(e.digests)[0]])).toEqual([
      ['agent-7.4.2.msi', 'agent-7.4.2.msi', 'sha256'],
      ['dist/agent-7.4.2.tar.gz', 'agent-7.4.2.tar.gz', 'sha512'],
      ['win/agent.exe', 'agent.exe', 'sha256'],
      ['agent.pkg', 'agent.pkg', 'sha384'],
    ]);
    expect(list.entries[3]?.digests.sha384).toBe(H384);
    expect(list.entries[1]?.location).toEqual({ file: 'LIST', line: 2 });
  });

  it('reads a CSV with a header, in any column order, with optional size and platform', () => {
    const list = parse(
      `Platform,SHA256,Name,Size\nwindows-x64,${H256},agent.msi,12\nlinux-x64,${H256.toUpperCase()},"agent, linux.deb",\n`,
    );
    expect(list.format).toBe('csv');
    expect(list.entries).toEqual([
      {
        path: 'agent.msi',
        name: 'agent.msi',
        size: 12,
        digests: { sha256: H256 },
        platform: 'windows-x64',
        location: { file: 'LIST', line: 2 },
      },
      {
        path: 'agent, linux.deb',
        name: 'agent, linux.deb',
        digests: { sha256: H256 },
        platform: 'linux-x64',
        location: { file: 'LIST', line: 3 },
      },
    ]);
  });

  it.each([
    ['a path that climbs out', `${H256}  ../etc/passwd`, 'LIST:1', "without '..'"],
    ['an absolute path', `${H256}  /etc/passwd`, 'LIST:1', 'relative file path'],
    ['a Windows drive path', `${H256}  C:\\agent.exe`, 'LIST:1', 'relative file path'],
    ['a control character in a name', `${H256}  a\u001b[2Jb`, 'LIST:1', 'control characters'],
    ['a SHA-1 digest', `${'a'.repeat(40)}  agent.msi`, 'LIST:1', 'SHA-1 and MD5 cannot bind'],
    ['an MD5 digest', `${'a'.repeat(32)}  agent.msi`, 'LIST:1', 'expected'],
    [
      'a digest of the wrong length for its tag',
      `SHA256 (agent.msi) = ${H384}`,
      'LIST:1',
      '64 hex digits of sha256',
    ],
    [
      'a line that is no checksum',
      `${H256}  agent.msi\nnot a checksum line`,
      'LIST:2',
      "expected 'HEX  name'",
    ],
    [
      'the same name twice',
      `${H256}  a/agent.msi\n${H256}  b/agent.msi`,
      'LIST:2',
      'listed twice (also at line 1)',
    ],
    ['an escaped newline in a name', `\\${H256}  a\\nb`, 'LIST:1', 'control characters'],
    ['an unknown escape', `\\${H256}  a\\tb`, 'LIST:1', "unknown escape '\\t'"],
    [
      'a clear-signed list',
      `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${H256}  a`,
      'LIST:1',
      'clear-signed',
    ],
  ])('refuses %s in a checksum file, naming the line', (_name, text, where, expected) => {
    const error = inputError(text);
    expect(error.message).toContain(where);
    expect(error.message).toContain(expected);
  });

  it.each([
    ['a list that is not an object', '[1]', 'expected MeshCentral hashagents.json'],
    [
      'an id that is not a number',
      `{"x":{"filename":"a","hash":"${H384}","size":1}}`,
      'LIST:1:6 at /x: expected a MeshCentral agent id',
    ],
    ['an entry without a hash', '{"3":{"filename":"a","size":1}}', 'LIST:1:6 at /3: expected {'],
    ['an entry without a size', `{"3":{"filename":"a","hash":"${H384}"}}`, 'expected "size"'],
    [
      'a negative size',
      `{"3":{"filename":"a","hash":"${H384}","size":-1}}`,
      'at /3/size: expected a size in bytes',
    ],
    [
      'a SHA-256 where SHA-384 belongs',
      `{"3":{"filename":"a","hash":"${H256}","size":1}}`,
      'at /3/hash: expected 96 hex digits of sha384',
    ],
    [
      'a file name that climbs out',
      `{"3":{"filename":"../../x","hash":"${H384}","size":1}}`,
      'at /3/filename',
    ],
    [
      'a duplicate key',
      `{"3":{"filename":"a","hash":"${H384}","size":1},"3":{"filename":"b","hash":"${H384}","size":1}}`,
      'duplicate',
    ],
    ['malformed JSON', '{"3": {', 'LIST:1:'],
  ])('refuses %s in hashagents.json', (_name, text, expected) => {
    expect(inputError(text, 'meshcentral').message).toContain(expected);
  });

  it.each([
    ['a header without a name column', `sha256,size\n${H256},1`, 'LIST:1', "a 'name' column"],
    ['a header without a digest column', 'name,size\na,1', 'LIST:1', "'sha256'"],
    ['a row without a digest', `name,sha256,sha512\na,,`, 'LIST:2', "'a' has no digest"],
    ['a size that is not a number', `name,sha256,size\na,${H256},12kB`, 'LIST:2', 'expected a size in bytes'],
    ['an unterminated quote', `name,sha256\n"a,${H256}`, 'LIST:2', 'not closed'],
  ])('refuses %s in a CSV list', (_name, text, where, expected) => {
    const error = inputError(text, 'csv');
    expect(error.message).toContain(where);
    expect(error.message).toContain(expected);
  });

  it('refuses an empty list, an over-long list and bytes that are not UTF-8', () => {
    expect(inputError('\n\n', 'sums').message).toContain('names no file');
    expect(inputError('{}').message).toContain('names no file');
    const many = Array.from({ length: 10_001 }, (_, i) => `${H256}  f${i}`).join('\n');
    expect(inputError(many).code).toBe('INPUT_TOO_LARGE');
    expect(() => parseHashList(Buffer.from([0xff, 0xfe, 0x41]), 'LIST')).toThrow(InputError);
  });
});

describe('hash-list parsers under fuzzing', () => {
  const SUMS = [
    `${H256}  agent-7.4.2-x64.msi`,
    `${H256} *bin/agent.exe`,
    `\\${H256}  dir/back\\\\slash.txt`,
    `SHA256 (agent.tar.gz) = ${H256}`,
    '',
  ].join('\n');
  const CSV = [
    'name,sha256,sha512,size,platform',
    `agent.msi,${H256},${H512},48211968,windows-x64`,
    `"agent, linux.tar.gz",${H256},,1000,linux-x64`,
    '',
  ].join('\r\n');

  it('fuzz: mutated MeshCentral, sums and CSV lists end in entries or a located input error', async () => {
    const meshcentral = await readFile(MESHCENTRAL, 'utf8');
    for (const [text, format] of [
      [meshcentral, 'meshcentral'],
      [SUMS, 'sums'],
      [CSV, 'csv'],
    ] as const) {
      expect(parseHashList(Buffer.from(text), 'LIST').format).toBe(format);
      // Both with the format named and detected from the text.
      for (const named of [format, undefined]) {
        fc.assert(
          fc.property(mutatedText(fc, text), (mutated) => {
            parsesOrFailsLocated(() => parseHashList(Buffer.from(mutated), 'LIST', named), 'LIST');
          }),
          fuzzParameters(150),
        );
      }
      fc.assert(
        fc.property(mutatedBytes(fc, Buffer.from(text)), (mutated) => {
          parsesOrFailsLocated(() => parseHashList(mutated, 'LIST'), 'LIST');
        }),
        fuzzParameters(100),
      );
    }
  });

  it('fuzz: random text ends in entries or a located input error', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('meshcentral', 'sums', 'csv', undefined),
        (text, format) => {
          parsesOrFailsLocated(() => parseHashList(Buffer.from(text), 'LIST', format), 'LIST');
        },
      ),
      fuzzParameters(300),
    );
  });
});
