/**
 * `rmm-verify sbom validate` of a generated 50,000-component CycloneDX 1.6 SBOM (5,000 with
 * BENCH_QUICK=1) as a whole process, against `jq .` over the same file in the same run (issue
 * 15): strict JSON parse, the official schema (with `uniqueItems` checked linearly), references,
 * NTIA coverage, versus jq parsing and printing it. Goal: ≤ 1.0×.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildCycloneDx } from '../test/fixtures/sbom/build-sbom.ts';
import { OUT_DIR, atMost, compare, quick, rmmVerify } from './compare.ts';

const components = quick ? 5_000 : 50_000;
const file = join(OUT_DIR, `sbom-${components}.cdx.json`);
if (!existsSync(file))
  writeFileSync(file, JSON.stringify(buildCycloneDx('1.6', { components, seed: 1 }), null, 2));

compare({
  name: `sbom validate, CycloneDX 1.6 with ${components.toLocaleString('en-US')} components (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB)`,
  ours: rmmVerify('rmm-verify sbom validate', ['sbom', 'validate', file]),
  peer: { label: 'jq .', file: 'jq', args: ['.', file] },
  goal: atMost(1.0),
});
