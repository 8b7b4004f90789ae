import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseDriftConfig } from '../../src/fleet/config.ts';
import { parseOsv } from '../../src/fleet/osv.ts';
import { parseRmmTools } from '../../src/fleet/rmm-tools.ts';
import { fuzzParameters, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

const CONFIG = read('../../examples/fleet/drift-config.json');
const RMM_TOOLS = read('../../data/rmm-tools.json');
const OSV = JSON.stringify({
  vulns: [
    {
      id: 'GHSA-acme-0001',
      summary: 'remote code execution in the agent updater',
      database_specific: { severity: 'CRITICAL' },
      affected: [
        {
          package: { ecosystem: 'generic', name: 'acme-agent' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '7.0.0' }, { fixed: '7.4.1' }] }],
          versions: ['7.3.0'],
        },
      ],
    },
  ],
});

describe('fleet documents (drift config, RMM tool list, OSV advisories) under fuzzing', () => {
  it('fuzz: mutated documents parse or fail with a located input error', () => {
    for (const [text, parse] of [
      [CONFIG, parseDriftConfig],
      [RMM_TOOLS, parseRmmTools],
      [OSV, parseOsv],
    ] as const) {
      expect(() => parse(text, 'document.json')).not.toThrow();
      fc.assert(
        fc.property(mutatedText(fc, text), (mutated) => {
          parsesOrFailsLocated(() => parse(mutated, 'document.json'), 'document.json');
        }),
        fuzzParameters(text === RMM_TOOLS ? 60 : 200),
      );
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
          parsesOrFailsLocated(() => parse(JSON.stringify(value), 'document.json'), 'document.json');
        }),
        fuzzParameters(200),
      );
    }
  });
});
