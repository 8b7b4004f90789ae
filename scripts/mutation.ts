/**
 * Mutation testing of the verification core (`npm run mutation`), with Stryker.
 *
 * Scoped to the modules whose mistakes would let a tampered input pass, each with the test files
 * that exercise it (a mutant is run only against those, and within them only against the tests
 * that reach it). One module at a time, one worker (the machine is shared), incremental: a module's
 * results are kept in reports/mutation/<module>/ and only mutants in changed code, or covered by
 * changed tests, run again. Offline: no dashboard, no installs.
 *
 *   npm run mutation                          every module, in order
 *   npm run mutation -- --module digest       one module (repeatable)
 *   npm run mutation -- --mutate src/x.ts     one file (or `src/x.ts:10-40`), with its module's tests
 *                                             (or, for a file in no module, the tests vitest finds related)
 *   npm run mutation -- --force               ignore the incremental results
 *   npm run mutation -- --list                the modules, their files and tests
 *
 * Scores and the surviving mutants left on purpose: docs/mutation.md.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { Stryker } from '@stryker-mutator/core';
import type { PartialStrykerOptions, MutantResult } from '@stryker-mutator/api/core';

interface MutationModule {
  readonly name: string;
  readonly what: string;
  /** Files (or `file:startLine-endLine` ranges) to mutate. */
  readonly mutate: readonly string[];
  /** Test files run against the mutants. */
  readonly testFiles: readonly string[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: 'digest',
    what: 'digest binding: streaming multi-hash, constant-time comparison, identification by digest and size',
    mutate: [
      'src/digest/algorithms.ts',
      // Not hashParallel (157-): it computes the same digests as hashInline, only faster; a mutant
      // there is caught by the openssl comparison (a 40 MB file) or hangs the worker (timeouts).
      'src/digest/multi-hash.ts:1-156',
      'src/artifact/verify-artifacts.ts',
    ],
    testFiles: [
      'test/digest/multi-hash.test.ts',
      'test/artifact/verify-artifacts.test.ts',
      // A re-signed copy is identified by its Authenticode image hash instead of its digest.
      'test/authenticode/resigned.test.ts',
    ],
  },
  {
    name: 'manifest',
    what: 'manifest trust and state: trust root, signature threshold, expiry, rollback (serial) state',
    mutate: [
      'src/manifest/verify-trust.ts',
      'src/manifest/trust-root.ts',
      'src/manifest/state.ts',
      'src/manifest/keys.ts',
    ],
    testFiles: [
      'test/manifest/verify-trust.test.ts',
      'test/manifest/keyless-signing.test.ts',
      'test/manifest/load.test.ts',
    ],
  },
  {
    name: 'authenticode',
    what: 'Authenticode verification: image hash, certificate table, SignedData, signer, chain, timestamp',
    mutate: [
      'src/authenticode/verifier.ts',
      'src/authenticode/image-hash.ts',
      'src/authenticode/win-certificate.ts',
      'src/authenticode/signer.ts',
      'src/authenticode/chain.ts',
      'src/authenticode/artifact-check.ts',
    ],
    testFiles: [
      'test/authenticode/verify.test.ts',
      'test/authenticode/pe.test.ts',
      'test/authenticode/unsigned-bytes.test.ts',
      'test/authenticode/msi.test.ts',
      'test/authenticode/verify-files.test.ts',
      'test/authenticode/artifact-check.test.ts',
      'test/authenticode/resigned.test.ts',
    ],
  },
  {
    name: 'sigstore',
    what: 'Sigstore policy: identity and issuer matching, attestation policy, in-toto subject binding',
    mutate: [
      'src/sigstore/identity.ts',
      'src/sigstore/attest-policy.ts',
      'src/sigstore/statement.ts',
      'src/sigstore/provenance-check.ts',
    ],
    testFiles: [
      'test/sigstore/attest-policy.test.ts',
      'test/sigstore/verify-bundle.test.ts',
      'test/sigstore/provenance-check.test.ts',
      'test/sigstore/prehash.test.ts',
    ],
  },
  {
    name: 'sbom',
    what: 'SBOM binding: the pinned SBOM digest and its subject (name, version, hashes) bound to the artifact',
    mutate: ['src/sbom/bind.ts', 'src/sbom/artifact-check.ts'],
    testFiles: ['test/sbom/bind.test.ts'],
  },
  {
    name: 'drift',
    what: "drift classification: each agent's version classes and its one primary status",
    mutate: [
      'src/fleet/managed-product.ts',
      'src/fleet/types.ts',
      // versionMask, primaryStatus, cellMask: the class bits and the precedence between them.
      'src/fleet/scan.ts:897-928',
    ],
    testFiles: ['test/fleet/primary-status.test.ts', 'test/fleet/drift.test.ts'],
  },
];

const REPORTS = 'reports/mutation';

function baseOptions(name: string, force: boolean, typecheck: boolean): PartialStrykerOptions {
  return {
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.config.ts', related: false, pool: 'forks' },
    checkers: typecheck ? ['typescript'] : [],
    // The checker needs only src/: a mutant's type errors show there (tests, bench and scripts would triple its work).
    tsconfigFile: 'tsconfig.mutation.json',
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    coverageAnalysis: 'perTest',
    concurrency: 1,
    // A loaded two-core machine: a slow test is not an infinite loop.
    timeoutMS: 10_000,
    dryRunTimeoutMinutes: 15,
    incremental: true,
    force,
    incrementalFile: `${REPORTS}/${name}/incremental.json`,
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `${REPORTS}/${name}/index.html` },
    jsonReporter: { fileName: `${REPORTS}/${name}/mutation.json` },
    clearTextReporter: { allowEmojis: false, logTests: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    ignorePatterns: ['dist', 'coverage', 'reports', 'bench/out', 'test/output', '.stryker-tmp'],
    thresholds: { high: 90, low: 85, break: null },
    plugins: [
      '@stryker-mutator/vitest-runner',
      '@stryker-mutator/typescript-checker',
      fileURLToPath(new URL('./mutation-ignore.ts', import.meta.url)),
    ],
    ignorers: ['message-text'],
  };
}

interface Score {
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  invalid: number;
  ignored: number;
}

function score(results: readonly MutantResult[]): Score {
  const s: Score = { killed: 0, survived: 0, timeout: 0, noCoverage: 0, invalid: 0, ignored: 0 };
  for (const r of results) {
    if (r.status === 'Killed') s.killed++;
    else if (r.status === 'Survived') s.survived++;
    else if (r.status === 'Timeout') s.timeout++;
    else if (r.status === 'NoCoverage') s.noCoverage++;
    else if (r.status === 'Ignored') s.ignored++;
    else s.invalid++; // CompileError, RuntimeError: not valid mutants
  }
  return s;
}

function percentage(s: Score): string {
  const valid = s.killed + s.timeout + s.survived + s.noCoverage;
  return valid === 0 ? 'n/a' : `${((100 * (s.killed + s.timeout)) / valid).toFixed(1)}%`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      module: { type: 'string', multiple: true },
      mutate: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
      typecheck: { type: 'boolean', default: true },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    for (const m of MUTATION_MODULES) {
      console.log(
        `${m.name}: ${m.what}\n  mutate: ${m.mutate.join(' ')}\n  tests:  ${m.testFiles.join(' ')}`,
      );
    }
    return 0;
  }
  const runs: { name: string; mutate: readonly string[]; testFiles: readonly string[] }[] = [];
  for (const name of values.module ?? []) {
    const m = MUTATION_MODULES.find((x) => x.name === name);
    if (!m) {
      console.error(`unknown module ${name}: one of ${MUTATION_MODULES.map((x) => x.name).join(', ')}`);
      return 2;
    }
    runs.push(m);
  }
  for (const target of values.mutate ?? []) {
    const file = target.replace(/:\d+-\d+$/, '');
    const m = MUTATION_MODULES.find((x) => x.mutate.some((f) => f.replace(/:\d+-\d+$/, '') === file));
    // A file in no module: vitest's related mode finds the tests that import it (slower).
    runs.push({ name: m?.name ?? 'other', mutate: [target], testFiles: m?.testFiles ?? [] });
  }
  if (runs.length === 0) runs.push(...MUTATION_MODULES);

  const table: string[] = [];
  for (const run of runs) {
    mkdirSync(`${REPORTS}/${run.name}`, { recursive: true });
    console.log(`\n== mutation: ${run.name} (${run.mutate.join(', ')})`);
    const options = baseOptions(run.name, values.force, values.typecheck);
    // A single file shares its module's incremental results only when the whole module runs.
    const partial = values.mutate !== undefined;
    const results = await new Stryker({
      ...options,
      mutate: [...run.mutate],
      ...(run.testFiles.length > 0
        ? { testFiles: [...run.testFiles] }
        : { vitest: { configFile: 'vitest.config.ts', related: true, pool: 'forks' } }),
      ...(partial
        ? {
            incrementalFile: `${REPORTS}/${run.name}/incremental-partial.json`,
            htmlReporter: { fileName: `${REPORTS}/${run.name}/partial.html` },
            jsonReporter: { fileName: `${REPORTS}/${run.name}/partial.json` },
          }
        : {}),
    }).runMutationTest();
    const s = score(results);
    table.push(
      `${run.name.padEnd(13)} ${percentage(s).padStart(6)}  killed ${s.killed}, survived ${s.survived}, timeout ${s.timeout}, no coverage ${s.noCoverage} (invalid ${s.invalid}, ignored ${s.ignored})`,
    );
  }
  console.log(`\n== mutation scores\n${table.join('\n')}`);
  return 0;
}

process.exitCode = await main();
