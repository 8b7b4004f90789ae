import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaults } from '../../src/defaults.ts';
import { ACTION_OUTPUTS } from '../../src/action/metadata.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { startFakeGithub } from '../fixtures/github/server.ts';
import { buildCycloneDx } from '../fixtures/sbom/build-sbom.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';
import { sarifValidator } from '../report/sarif-schema.ts';
import { BUNDLE, runAction, workflowCommands, type ActionRun } from './run-action.ts';

const TOKEN = 'ghs_TestTokenThatMustNeverBePrinted0123456789';
const GOOD = Buffer.from('acme agent 7.4.2 for linux x64\n'.repeat(64));
const OLD = Buffer.from('acme agent 7.4.1 for linux x64\n'.repeat(64));
const validateSarif = sarifValidator();

function manifest(): Manifest {
  return baseManifest({
    // The Action runs on the real clock; keep the manifest valid for as long as this test lives.
    expires: '2099-01-01T00:00:00Z',
    releases: [
      { version: '7.4.2', artifacts: [artifactFor('acme-agent-7.4.2-linux-x64.tar.gz', GOOD)] },
      { version: '7.4.1', artifacts: [artifactFor('acme-agent-7.4.1-linux-x64.tar.gz', OLD)] },
    ],
  });
}

let ws: Workspace;
const created: string[] = [];

beforeAll(async () => {
  ws = await workspace({ threshold: 1, keyCount: 1 });
  created.push(ws.dir);
  await ws.writeManifest(manifest());
  await ws.writeFile('dist/good/acme-agent-7.4.2-linux-x64.tar.gz', GOOD);
  await ws.writeFile('dist/old/acme-agent-7.4.1-linux-x64.tar.gz', OLD);
  // Same name as the pinned 7.4.2, other bytes: what a tampered upload looks like.
  const tampered = Buffer.from(GOOD);
  tampered[10] = 0x58;
  await ws.writeFile('dist/tampered/acme-agent-7.4.2-linux-x64.tar.gz', tampered);
});

afterAll(async () => {
  for (const dir of created) await rm(dir, { recursive: true, force: true });
});

function inputs(paths: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    mode: 'verify',
    paths,
    manifest: 'manifests/acme-agent.json',
    trust: 'keys/trust.json',
    'github-token': TOKEN,
    ...extra,
  };
}

/** The token may appear only in the runner's own `::add-mask::` command, which hides it. */
async function expectTokenNeverPrinted(run: ActionRun, files: readonly string[] = []): Promise<void> {
  const outside = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
  for (const text of [outside, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
    expect(text).not.toContain(TOKEN);
  }
  for (const file of files) expect(await readFile(file, 'utf8')).not.toContain(TOKEN);
}

describe('the bundled Action, run as a runner runs it', () => {
  it('passes on a pinned artifact: summary, outputs, notices and a valid SARIF log', async () => {
    const run = await runAction(ws.dir, inputs('dist/good/*.tar.gz'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    expect(run.summary.split('\n')[0]).toBe('## ✅ rmm-verify verify: PASS');
    expect(run.summary).toContain('| critical | 0 |');
    expect(run.summary).toContain('acme\\-agent-7.4.2'.replace('\\-', '-'));

    expect(Object.keys(run.outputs).sort()).toEqual(Object.keys(ACTION_OUTPUTS).sort());
    expect(run.outputs).toMatchObject({
      result: 'pass',
      critical: '0',
      high: '0',
      medium: '0',
      low: '0',
      'sarif-file': 'rmm-verify.sarif',
      'report-file': 'rmm-verify-report.json',
    });

    const commands = workflowCommands(run.stdout);
    expect(commands.filter((c) => c.command === 'error')).toEqual([]);
    const notice = commands.find((c) => c.command === 'notice');
    expect(notice?.properties['file']).toBe('dist/good/acme-agent-7.4.2-linux-x64.tar.gz');
    expect(notice?.properties['title']).toBe('ARTIFACT_VERIFIED (info)');

    const sarif: unknown = JSON.parse(await readFile(join(ws.dir, 'rmm-verify.sarif'), 'utf8'));
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
    const report = JSON.parse(await readFile(join(ws.dir, 'rmm-verify-report.json'), 'utf8')) as {
      result: string;
      subjects: { subject: string }[];
    };
    expect(report.result).toBe('pass');
    expect(report.subjects.map((s) => s.subject)).toEqual([
      'manifests/acme-agent.json',
      'dist/good/acme-agent-7.4.2-linux-x64.tar.gz',
    ]);
    await expectTokenNeverPrinted(run, [
      join(ws.dir, 'rmm-verify.sarif'),
      join(ws.dir, 'rmm-verify-report.json'),
    ]);
  });

  it('fails on a tampered artifact: an error annotation on its file, fail outputs, SARIF result located there', async () => {
    const run = await runAction(
      ws.dir,
      inputs('dist/**/*.tar.gz\n!dist/old/**', { 'sarif-file': 'out/scan.sarif', format: 'markdown' }),
    );
    expect(run.code).toBe(1);
    expect(run.summary.split('\n')[0]).toBe('## ❌ rmm-verify verify: FAIL');
    expect(run.outputs).toMatchObject({
      result: 'fail',
      'sarif-file': 'out/scan.sarif',
      'report-file': 'rmm-verify-report.md',
    });
    expect(Number(run.outputs['critical'])).toBeGreaterThanOrEqual(1);

    const commands = workflowCommands(run.stdout);
    const errors = commands.filter((c) => c.command === 'error');
    const tampered = errors.find(
      (c) => c.properties['file'] === 'dist/tampered/acme-agent-7.4.2-linux-x64.tar.gz',
    );
    expect(tampered?.properties['title']).toBe('DIGEST_MISMATCH (critical)');
    expect(tampered?.message).toContain('dist/tampered/acme-agent-7.4.2-linux-x64.tar.gz: ');
    // The excluded directory was not checked.
    expect(run.stdout).not.toContain('dist/old/');
    // The last error is the step failure itself.
    expect(errors.at(-1)?.message).toMatch(/^rmm-verify verify: \d+ findings? at or above fail-on 'low'/);

    const sarif = JSON.parse(await readFile(join(ws.dir, 'out/scan.sarif'), 'utf8')) as {
      runs: {
        results: {
          ruleId: string;
          locations?: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
      }[];
    };
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
    const result = sarif.runs[0]?.results.find((r) => r.ruleId === 'DIGEST_MISMATCH');
    expect(result?.locations?.[0]?.physicalLocation.artifactLocation.uri).toBe(
      'dist/tampered/acme-agent-7.4.2-linux-x64.tar.gz',
    );
    const markdown = await readFile(join(ws.dir, 'rmm-verify-report.md'), 'utf8');
    expect(markdown).toBe(run.summary);
    await expectTokenNeverPrinted(run, [join(ws.dir, 'out/scan.sarif')]);
  });

  it('fails the step according to fail-on: an older approved release fails at low, passes at high', async () => {
    const atLow = await runAction(ws.dir, inputs('dist/old/*'));
    expect(atLow.code).toBe(1);
    expect(atLow.outputs).toMatchObject({ result: 'fail', low: '1' });
    const warning = workflowCommands(atLow.stdout).find((c) => c.command === 'warning');
    expect(warning?.properties['title']).toBe('VERSION_NOT_TARGET (low)');

    const atHigh = await runAction(ws.dir, inputs('dist/old/*', { 'fail-on': 'high' }));
    expect(atHigh.code).toBe(0);
    expect(atHigh.outputs).toMatchObject({ result: 'pass', low: '1' });
    expect(workflowCommands(atHigh.stdout).some((c) => c.command === 'warning')).toBe(true);
  });

  it('fails closed when the manifest signature does not verify', async () => {
    const other = await workspace({ threshold: 1, keyCount: 1 });
    created.push(other.dir);
    const bytes = await other.writeManifest(manifest());
    // Edit the manifest after signing: the signature no longer covers these bytes.
    await other.writeFile('manifests/acme-agent.json', Buffer.concat([bytes, Buffer.from(' ')]));
    await other.writeFile('dist/acme-agent-7.4.2-linux-x64.tar.gz', GOOD);
    const run = await runAction(other.dir, inputs('dist/*'));
    expect(run.code).toBe(1);
    expect(run.outputs['result']).toBe('fail');
    const errors = workflowCommands(run.stdout).filter((c) => c.command === 'error');
    expect(errors.some((c) => c.properties['file'] === 'manifests/acme-agent.json')).toBe(true);
  });

  it('drift mode: an inventory on target passes, a revoked agent fails on its inventory line', async () => {
    const seen = new Date().toISOString();
    const header = 'tenant,endpoint,hostname,product,version,last_seen';
    await ws.writeFile(
      'inventories/good.csv',
      [
        header,
        `tenant-a,e1,host-1,acme-agent,7.4.2,${seen}`,
        `tenant-a,e2,host-2,acme-agent,7.4.2,${seen}`,
      ].join('\n'),
    );
    await ws.writeFile(
      'inventories/bad.csv',
      [
        header,
        `tenant-b,e3,host-3,acme-agent,7.4.2,${seen}`,
        `tenant-b,e4,host-4,acme-agent,7.3.0,${seen}`,
      ].join('\n'),
    );
    const pass = await runAction(
      ws.dir,
      inputs('inventories/good.csv', { mode: 'drift', format: 'html', 'report-file': 'reports/drift.html' }),
    );
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    // The job summary leads with the fleet rollups, then the common findings report.
    expect(pass.summary.split('\n')[0]).toBe('## Fleet drift');
    expect(pass.summary).toContain('## ✅ rmm-verify drift: PASS');
    expect(pass.outputs['report-file']).toBe('reports/drift.html');
    const html = await readFile(join(ws.dir, 'reports/drift.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('tenant-a');

    const fail = await runAction(ws.dir, inputs('inventories/*.csv', { mode: 'drift' }));
    expect(fail.code).toBe(1);
    expect(fail.outputs['result']).toBe('fail');
    const revoked = workflowCommands(fail.stdout).find(
      (c) => c.properties['title'] === 'DRIFT_REVOKED (critical)',
    );
    expect(revoked?.properties['file']).toBe('inventories/bad.csv');
    expect(revoked?.properties['line']).toBe('3');
    const sarif: unknown = JSON.parse(await readFile(join(ws.dir, 'rmm-verify.sarif'), 'utf8'));
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
  });

  it('drift mode: a large inventory is read on the reader thread from inside the bundle', async () => {
    // Files of readerThreadMinBytes or more are parsed on a worker thread, which runs the bundle
    // itself: the worker must start from dist/action/index.js and report lines as they are.
    const seen = new Date().toISOString();
    const lines = ['tenant,endpoint,hostname,product,version,last_seen'];
    let bytes = 0;
    for (let i = 0; bytes < defaults.readerThreadMinBytes + 4096; i++) {
      const line = `tenant-${i % 50},endpoint-${i},host-${i},acme-agent,7.4.2,${seen}`;
      lines.push(line);
      bytes += line.length + 1;
    }
    lines.push(`tenant-z,endpoint-last,host-last,acme-agent,7.3.0,${seen}`);
    await ws.writeFile('inventories/large.csv', lines.join('\n'));
    const run = await runAction(ws.dir, inputs('inventories/large.csv', { mode: 'drift' }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const revoked = workflowCommands(run.stdout).filter(
      (c) => c.properties['title'] === 'DRIFT_REVOKED (critical)',
    );
    expect(revoked.map((c) => [c.properties['file'], c.properties['line']])).toEqual([
      ['inventories/large.csv', String(lines.length)],
    ]);
  });

  it('attest mode: a vendor file with its Sigstore bundle passes for the pinned identity, fails otherwise', async () => {
    // A real public-good bundle (test/fixtures/sigstore/README.md) verified offline.
    const fixtures = resolve(import.meta.dirname, '../fixtures/sigstore');
    const beacon =
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const setUp = async (identity: string) => {
      const w = await workspace({ threshold: 1, keyCount: 1 });
      created.push(w.dir);
      await w.writeManifest({ ...manifest(), signers: { sigstore: [{ identity, issuer }] } });
      await w.writeFile('incoming/a.txt', await readFile(join(fixtures, 'a.txt')));
      await w.writeFile('incoming/a.txt.sigstore', await readFile(join(fixtures, 'a.txt.sigstore')));
      return w;
    };

    const pinned = await setUp(beacon);
    const pass = await runAction(pinned.dir, inputs('incoming/*', { mode: 'attest' }));
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    expect(pass.outputs['result']).toBe('pass');
    expect(pass.summary.split('\n')[0]).toBe('## ✅ rmm-verify attest verify: PASS');
    // The bundle is evidence, not a subject of its own.
    const report = JSON.parse(await readFile(join(pinned.dir, 'rmm-verify-report.json'), 'utf8')) as {
      subjects: { subject: string }[];
    };
    expect(report.subjects.map((x) => x.subject)).toEqual(['manifests/acme-agent.json', 'incoming/a.txt']);

    await pinned.writeFile('incoming/unsigned.txt', 'no bundle for this one');
    const missing = await runAction(pinned.dir, inputs('incoming/*', { mode: 'attest' }));
    expect(missing.code).toBe(1);
    const unsigned = workflowCommands(missing.stdout).find(
      (c) => c.properties['file'] === 'incoming/unsigned.txt',
    );
    expect(unsigned?.properties['title']).toBe('PROVENANCE_MISSING (critical)');

    const other = await setUp('https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v7.4.2');
    const wrong = await runAction(other.dir, inputs('incoming/*', { mode: 'attest' }));
    expect(wrong.code).toBe(1);
    const titles = workflowCommands(wrong.stdout).map((c) => c.properties['title']);
    expect(titles).toContain('SIGSTORE_IDENTITY_MISMATCH (critical)');
  });

  it('verify mode finds Sigstore bundles in the evidence directories', async () => {
    const fixtures = resolve(import.meta.dirname, '../fixtures/sigstore');
    const signed = await readFile(join(fixtures, 'a.txt'));
    const w = await workspace({ threshold: 1, keyCount: 1 });
    created.push(w.dir);
    await w.writeManifest({
      ...manifest(),
      signers: {
        sigstore: [
          {
            identity:
              'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
            issuer: 'https://token.actions.githubusercontent.com',
          },
        ],
      },
      releases: [{ version: '7.4.2', artifacts: [artifactFor('a.txt', signed)] }],
    });
    await w.writeFile('dist/a.txt', signed);
    await w.writeFile('evidence/a.txt.sigstore', await readFile(join(fixtures, 'a.txt.sigstore')));

    const titles = (run: ActionRun) => workflowCommands(run.stdout).map((c) => c.properties['title']);
    const without = await runAction(w.dir, inputs('dist/*'));
    expect(without.code).toBe(0);
    expect(titles(without)).not.toContain('SIGSTORE_VERIFIED (info)');
    const withEvidence = await runAction(w.dir, inputs('dist/*', { evidence: 'evidence' }));
    expect(withEvidence.code).toBe(0);
    expect(titles(withEvidence)).toContain('SIGSTORE_VERIFIED (info)');
  });

  it('runs from a checkout without node_modules, as a runner runs an action', async () => {
    // A runner checks out the action repository and runs main directly: no npm install.
    const root = await mkdtemp(join(tmpdir(), 'rmm-verify-action-checkout-'));
    created.push(root);
    const repository = resolve(import.meta.dirname, '../..');
    await mkdir(join(root, 'dist/action'), { recursive: true });
    await cp(BUNDLE, join(root, 'dist/action/index.js'));
    for (const dir of ['keys', 'data']) await cp(join(repository, dir), join(root, dir), { recursive: true });
    const bundle = join(root, 'dist/action/index.js');

    const verified = await runAction(ws.dir, inputs('dist/good/*'), bundle);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    await ws.writeFile('sbom/checkout.cdx.json', JSON.stringify(buildCycloneDx('1.5', { components: 3 })));
    const sbomRun = await runAction(
      ws.dir,
      inputs('sbom/checkout.cdx.json', { mode: 'sbom', manifest: '' }),
      bundle,
    );
    expect(sbomRun.stderr).toBe('');
    expect(sbomRun.code).toBe(0);
  });

  it('sbom mode: a valid CycloneDX SBOM passes, a broken one fails with a finding on its file', async () => {
    const good = buildCycloneDx('1.6', { components: 5 });
    const broken = { ...good, components: 'not a list' };
    await ws.writeFile('sbom/good.cdx.json', JSON.stringify(good));
    await ws.writeFile('sbom/broken.cdx.json', JSON.stringify(broken));

    const pass = await runAction(ws.dir, inputs('sbom/good.cdx.json', { mode: 'sbom', manifest: '' }));
    expect(pass.code).toBe(0);
    expect(pass.outputs['result']).toBe('pass');
    expect(pass.summary.split('\n')[0]).toBe('## ✅ rmm-verify sbom validate: PASS');

    const fail = await runAction(ws.dir, inputs('sbom/*.json', { mode: 'sbom', manifest: '' }));
    expect(fail.code).toBe(1);
    expect(fail.outputs['result']).toBe('fail');
    const errors = workflowCommands(fail.stdout).filter((c) => c.command === 'error' && c.properties['file']);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.properties['file']).toBe('sbom/broken.cdx.json');
    const sarif: unknown = JSON.parse(await readFile(join(ws.dir, 'rmm-verify.sarif'), 'utf8'));
    expect(validateSarif(sarif), JSON.stringify(validateSarif.errors)).toBe(true);
  });

  it('keeps a hostile file name from injecting workflow commands', async () => {
    const name = 'x,y:z%41\n::warning::injected\r\n::add-mask::oops.bin';
    await ws.writeFile(`dist/evil/${name}`, 'not an agent');
    const run = await runAction(ws.dir, inputs('dist/evil/*'));
    expect(run.code).toBe(1);
    const commands = workflowCommands(run.stdout);
    expect(commands.filter((c) => c.command === 'warning')).toEqual([]);
    expect(commands.filter((c) => c.command === 'add-mask')).toHaveLength(1);
    const unknown = commands.find((c) => c.properties['title'] === 'ARTIFACT_UNKNOWN (critical)');
    expect(unknown?.properties['file']).toBe(`dist/evil/${name}`);
    expect(unknown?.message.startsWith(`dist/evil/${name}: `)).toBe(true);
    expect(run.summary).not.toMatch(/^::/m);
  });

  it.each([
    [{ 'fail-on': 'severe' }, "input 'fail-on' must be one of critical, high, medium, low; got 'severe'"],
    [{ mode: 'scan' }, "input 'mode' must be one of verify, drift, attest, sbom; got 'scan'"],
    [{ paths: 'nothing/*.msi' }, "'nothing/*.msi' matches no file under the workspace"],
    [{ manifest: 'manifests/missing.json' }, 'manifests/missing.json'],
    [{ manifest: '' }, "mode 'verify' needs exactly one 'manifest'; got 0"],
  ])('turns an input error into a failed step with the reason: %j', async (override, reason) => {
    const run = await runAction(ws.dir, { ...inputs('dist/good/*'), ...override });
    expect(run.code).toBe(1);
    const failure = workflowCommands(run.stdout).find((c) => c.command === 'error');
    expect(failure?.message).toContain(reason);
    expect(run.summary).toContain('## ❌ rmm-verify: error');
    expect(run.outputs).toEqual({});
    await expectTokenNeverPrinted(run);
  });

  it('has a runner for every declared mode, and refuses html for a mode that cannot write it', async () => {
    const { MODE_RUNNERS } = await import('../../src/action/modes.ts');
    for (const runner of Object.values(MODE_RUNNERS)) expect(runner).toBeTypeOf('function');
    const run = await runAction(ws.dir, inputs('dist/good/*', { format: 'html' }));
    expect(run.code).toBe(1);
    const failure = workflowCommands(run.stdout).find((c) => c.command === 'error');
    expect(failure?.message).toContain("input 'format': html is written by mode drift only, not 'verify'");
  });

  it('the report file records the digest the artifact was identified by', async () => {
    const run = await runAction(ws.dir, inputs('dist/good/*'));
    const digest = createHash('sha256').update(GOOD).digest('hex');
    const report = JSON.parse(await readFile(join(ws.dir, 'rmm-verify-report.json'), 'utf8')) as {
      subjects: { facts: Record<string, unknown> }[];
    };
    expect(JSON.stringify(report.subjects)).toContain(digest.slice(0, 16));
    expect(run.code).toBe(0);
  });
});

describe('verify mode with github:owner/repo@tag paths', () => {
  it('downloads the release with the workflow token and verifies its assets like local files', async () => {
    const tampered = Buffer.from(GOOD);
    tampered[3] = 0x21;
    const gh = await startFakeGithub({
      owner: 'acme',
      repo: 'agent',
      tag: 'v7.4.2',
      assets: [{ name: 'acme-agent-7.4.2-linux-x64.tar.gz', body: GOOD }],
    });
    const bad = await startFakeGithub({
      owner: 'acme',
      repo: 'agent',
      tag: 'v7.4.2',
      assets: [{ name: 'acme-agent-7.4.2-linux-x64.tar.gz', body: tampered }],
    });
    try {
      const env = (base: string) => ({ GITHUB_API_URL: base, RMM_VERIFY_INSECURE_LOOPBACK: '1' });
      const pass = await runAction(ws.dir, inputs('github:acme/agent@v7.4.2'), BUNDLE, env(gh.baseUrl));
      expect(pass.stderr).not.toContain(TOKEN);
      expect(pass.stdout.replaceAll(`::add-mask::${TOKEN}`, '')).not.toContain(TOKEN);
      expect(pass.code).toBe(0);
      expect(pass.outputs['result']).toBe('pass');
      // Markdown escapes ':' and '@' in the subject.
      expect(pass.summary).toContain('github\\:acme/agent\\@v7.4.2/acme-agent-7.4.2-linux-x64.tar.gz');
      expect([...gh.authorization.values()]).toContain(`Bearer ${TOKEN}`);

      const fail = await runAction(ws.dir, inputs('github:acme/agent@v7.4.2'), BUNDLE, env(bad.baseUrl));
      expect(fail.code).toBe(1);
      expect(fail.outputs['result']).toBe('fail');
      expect(fail.summary).toContain('DIGEST\\_MISMATCH');
    } finally {
      await gh.close();
      await bad.close();
    }
  });

  it('refuses github: paths in modes other than verify', async () => {
    const run = await runAction(ws.dir, inputs('github:acme/agent@v7.4.2', { mode: 'sbom' }));
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/only for mode 'verify'/);
  });
});
