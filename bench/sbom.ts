/**
 * SBOM benchmark: validate, diff and policy-check two generated 50,000-component CycloneDX 1.6
 * SBOMs (each file parsed once with the strict parser, schema-validated, normalised; then the
 * diff, then the policy with licences, denied components and OSV matching), against
 * `jq . >/dev/null` over the same two files, in the same run. Goal: ratio ≤ 2.
 * BENCH_QUICK=1 uses 5,000 components.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JsonValue } from '../src/json/index.ts';
import { diffSboms } from '../src/sbom/diff.ts';
import { parseSbom } from '../src/sbom/document.ts';
import { OsvDatabase, parseOsvRecord } from '../src/sbom/osv.ts';
import { checkPolicy, type SbomPolicy } from '../src/sbom/policy.ts';
import { validateSbom } from '../src/sbom/validate.ts';
import { buildCycloneDx } from '../test/fixtures/sbom/build-sbom.ts';

const components = process.env['BENCH_QUICK'] ? 5_000 : 50_000;
const runs = Number(process.env['BENCH_RUNS'] ?? 3);

const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-bench-sbom-'));
try {
  const files = [join(dir, 'old.cdx.json'), join(dir, 'new.cdx.json')] as const;
  await writeFile(files[0], JSON.stringify(buildCycloneDx('1.6', { components, seed: 1 }), null, 2));
  await writeFile(
    files[1],
    JSON.stringify(buildCycloneDx('1.6', { components: components + 500, seed: 2 }), null, 2),
  );
  const sizes = await Promise.all(files.map(async (f) => (await readFile(f)).byteLength));

  const policy: SbomPolicy = {
    policyVersion: 1,
    deny: {
      licenses: ['GPL-3.0-only', 'AGPL-3.0-or-later'],
      components: [
        { purl: 'pkg:npm/event-stream', versions: '>=3.3.6 <4.0.0' },
        { purl: 'pkg:npm/pkg10', versions: '<2' },
      ],
    },
  };
  const osv = new OsvDatabase();
  // One record per ecosystem and a few hundred more, so lookups hit and miss.
  for (let i = 0; i < 500; i++) {
    const [ecosystem, name] = (
      [
        ['npm', `pkg${i * 5}`],
        ['PyPI', `pkg${i * 5 + 1}`],
        ['Maven', `org.example${(i * 5 + 2) % 50}:pkg${i * 5 + 2}`],
        ['NuGet', `Example.pkg${i * 5 + 3}`],
        ['Go', `github.com/example${(i * 5 + 4) % 50}/pkg${i * 5 + 4}`],
      ] as const
    )[i % 5] ?? ['npm', 'x'];
    const type = ecosystem === 'npm' || ecosystem === 'Go' ? 'SEMVER' : 'ECOSYSTEM';
    const record = JSON.stringify({
      id: `BENCH-${i}`,
      affected: [
        {
          package: { ecosystem, name },
          ranges: [{ type, events: [{ introduced: '0' }, { fixed: '3.0.0' }] }],
        },
      ],
    });
    osv.add(parseOsvRecord(JSON.parse(record) as JsonValue, `bench-${i}.json`));
  }

  const ours = async (): Promise<{ ms: number; findings: number; changed: number }> => {
    const start = performance.now();
    const sboms = [];
    let findings = 0;
    for (const file of files) {
      const validation = await validateSbom(parseSbom(await readFile(file), file));
      if (!validation.valid || !validation.sbom) throw new Error(`${file} did not validate`);
      sboms.push(validation.sbom);
    }
    const [before, after] = sboms;
    if (!before || !after) throw new Error('unreachable');
    const diff = diffSboms(before, after);
    for (const sbom of sboms) findings += checkPolicy(sbom, policy, { osv }).length;
    return { ms: performance.now() - start, findings, changed: diff.changed.length + diff.added.length };
  };
  const jq = (): number => {
    const start = performance.now();
    for (const file of files) {
      const result = spawnSync('sh', ['-c', `jq . "$1" >/dev/null`, 'sh', file], { stdio: 'inherit' });
      if (result.status !== 0) throw new Error('jq failed');
    }
    return performance.now() - start;
  };

  await ours(); // warm-up: compiles the schema once, as any long-lived process would
  const oursTimes: number[] = [];
  const jqTimes: number[] = [];
  let last = { ms: 0, findings: 0, changed: 0 };
  for (let i = 0; i < runs; i++) {
    last = await ours();
    oursTimes.push(last.ms);
    jqTimes.push(jq());
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  const oursMs = median(oursTimes);
  const jqMs = median(jqTimes);
  console.log(
    `sbom: 2 × CycloneDX 1.6, ${components} and ${components + 500} components (${(sizes[0] ?? 0) >> 20} + ${(sizes[1] ?? 0) >> 20} MiB); ` +
      `${last.findings} policy findings, ${last.changed} diff entries; median of ${runs}`,
  );
  console.log(`  rmm-verify validate + diff + check: ${oursMs.toFixed(0)} ms`);
  console.log(`  jq . >/dev/null (both files):       ${jqMs.toFixed(0)} ms`);
  console.log(`  ratio: ${(oursMs / jqMs).toFixed(2)}× (goal ≤ 2×)`);
} finally {
  await mkdir(dir, { recursive: true });
  await rm(dir, { recursive: true, force: true });
}
