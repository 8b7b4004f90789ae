import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { FIXTURE_DIR, generateSbomFixtures } from '../fixtures/sbom/generate.ts';

beforeAll(generateSbomFixtures);

async function run(
  args: string[],
  cwd = FIXTURE_DIR,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const io: CliIo = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: {},
    cwd,
    now: new Date('2026-11-15T00:00:00Z'),
  };
  const code = await main(['sbom', ...args], io);
  return { code, stdout: out, stderr: err };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sbom-cli-'));
  await writeFile(
    join(scratch, 'invalid.json'),
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x' }] }),
  );
  await writeFile(join(scratch, 'not.json'), 'hello, world');
  await writeFile(
    join(scratch, 'policy.json'),
    JSON.stringify({ policyVersion: 1, deny: { components: [{ purl: 'pkg:npm/lodash' }] } }),
  );
});

describe('rmm-verify sbom validate', () => {
  it('exits 0 for valid documents of every format', async () => {
    const result = await run(['validate', 'cdx-1.4.json', 'cdx-1.5.json', 'cdx-1.6.json', 'spdx-2.3.json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS: 4 of 4 passed');
  });

  it('exits 1 with the schema error for a known-invalid document', async () => {
    const result = await run(['validate', join(scratch, 'invalid.json')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SBOM_SCHEMA_INVALID');
    expect(result.stdout).toContain('/components/0: missing required field "type"');
  });

  it('exits 2 for unreadable and non-JSON files, naming the file and place', async () => {
    const missing = await run(['validate', join(scratch, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
    const garbage = await run(['validate', join(scratch, 'not.json')]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/not\.json:1:1/);
  });

  it('--ntia fails on missing minimum elements; --format json is the report', async () => {
    const result = await run(['validate', '--ntia', '--format', 'json', join(scratch, 'invalid.json')]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      findings: { code: string }[];
      subjects: { result: string }[];
    };
    expect(report.findings.map((f) => f.code)).toContain('SBOM_NTIA_ELEMENT_MISSING');
    expect(report.subjects[0]?.result).toBe('fail');
  });

  it('bad flags are usage errors', async () => {
    expect((await run(['validate'])).code).toBe(2);
    expect((await run(['validate', '--format', 'xml', 'cdx-1.6.json'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    const help = await run(['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rmm-verify sbom validate');
  });
});

describe('rmm-verify sbom diff', () => {
  it.each([
    ['text', 'SBOM diff: cdx-1.6.json'],
    ['markdown', '## SBOM diff'],
    ['json', '"diffVersion": 1'],
  ])('--format %s', async (format, expected) => {
    const result = await run(['diff', '--format', format, 'cdx-1.6.json', 'cdx-1.6-next.json']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(expected);
  });

  it('needs exactly two files', async () => {
    expect((await run(['diff', 'cdx-1.6.json'])).code).toBe(2);
  });
});

describe('rmm-verify sbom check', () => {
  it('exits 1 for a vulnerable transitive dependency found in OSV data', async () => {
    const result = await run(['check', '--policy', 'policy.json', '--osv', 'osv', 'app.cdx.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SBOM_VULNERABLE_COMPONENT');
    expect(result.stdout).toContain(
      'reached through acme-agent@7.4.2 → express@4.17.1 → body-parser@1.19.0 → qs@6.7.0',
    );
  });

  it('exits 0 when the policy passes and --fail-on is above the findings', async () => {
    const result = await run(['check', '--policy', 'policy.json', 'cdx-1.6.json']);
    expect(result.code).toBe(0);
  });

  it('reports denied components', async () => {
    const result = await run(['check', '--policy', join(scratch, 'policy.json'), 'app.cdx.json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('SBOM_DENIED_COMPONENT');
  });

  it('requires --policy and a readable OSV directory', async () => {
    expect((await run(['check', 'app.cdx.json'])).code).toBe(2);
    expect(
      (await run(['check', '--policy', 'policy.json', '--osv', 'no-such-dir', 'app.cdx.json'])).code,
    ).toBe(2);
  });
});

describe('as a real subprocess', () => {
  it('exits 1 for an invalid document and 2 for a non-JSON one', async () => {
    const script = join(scratch, 'run.ts');
    await writeFile(
      script,
      `import { main } from ${JSON.stringify(join(process.cwd(), 'src/cli/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
    );
    const node = join(process.cwd(), 'node_modules/.bin/node');
    const exec = promisify(execFile);
    const invalid = await exec(node, [script, 'sbom', 'validate', join(scratch, 'invalid.json')]).catch(
      (error: unknown) => error as { code: number; stdout: string },
    );
    expect('code' in invalid ? invalid.code : 0).toBe(1);
    expect(invalid.stdout).toContain('SBOM_SCHEMA_INVALID');
    const garbage = await exec(node, [script, 'sbom', 'validate', join(scratch, 'not.json')]).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect('code' in garbage ? garbage.code : 0).toBe(2);
  });
});

describe('text outputs escape what the SBOM says', () => {
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const RAW = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  it('sbom diff: a component cannot forge a line in a CI log or reorder one with bidi controls', async () => {
    const doc = (name: string, supplier: string) => ({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [{ type: 'library', name, version: '1.0.0', supplier: { name: supplier } }],
    });
    await writeFile(join(scratch, 'before.cdx.json'), JSON.stringify(doc('a', 'S')));
    await writeFile(
      join(scratch, 'after.cdx.json'),
      JSON.stringify(doc('b\nPASS: 1 of 1 passed\n\u001b[2K', 'Evil\u202e.exe\u2066')),
    );
    for (const format of ['text', 'markdown']) {
      const result = await run(['diff', 'before.cdx.json', 'after.cdx.json', '--format', format], scratch);
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('PASS'))).toEqual([]);
      expect(result.stdout.replace(/\n/g, '')).not.toMatch(RAW);
      expect(result.stdout).toContain('u202e');
    }
    const text = await run(['diff', 'before.cdx.json', 'after.cdx.json'], scratch);
    expect(text.stdout).toContain('+ b\\x0aPASS: 1 of 1 passed\\x0a\\x1b[2K@1.0.0');
  });

  it('an error message quoting an input is one escaped line', async () => {
    const result = await run(['frobnicate\nPASS\u202e']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('frobnicate\\x0aPASS\\u202e');
  });
});
