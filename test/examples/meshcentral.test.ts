import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/manifest/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The acceptance test of the MeshCentral example: the walkthrough runs end to end on the real
 * meshcentral package (fetched from the npm registry once, cached by its integrity hash under
 * node_modules/.cache), and every agent is checked here again, independently, against the
 * vendor's hashagents.json and the pins the walkthrough wrote.
 */
describe('examples/meshcentral: a real RMM end to end', () => {
  it('pins, verifies, re-signs and rejects exactly as the walkthrough says', { timeout: 600_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'rmm-verify-meshcentral-'));
    const result = spawnSync('bash', [join(ROOT, 'examples/meshcentral/walkthrough.sh'), work], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${process.env['PATH'] ?? ''}`,
        NO_COLOR: '1',
      },
      maxBuffer: 64 << 20,
    });
    expect(result.stderr).not.toContain('walkthrough:');
    expect(result.status).toBe(0);
    const out = result.stdout;
    // Step 4: all 23 agents as installed; step 5: all 23 as served, the Windows ones re-signed.
    expect(out.match(/PASS: 24 of 24 passed/g)).toHaveLength(2);
    expect(out).toContain('MeshService64.exe 1.1.55 (windows-x64), re-signed');
    expect(out).toMatch(/== 6\.[^]*the code differs, not only the signature/);
    expect(out).toMatch(/== 7\.[^]*CRITICAL AUTHENTICODE_UNTRUSTED_ROOT/);
    expect(out).toMatch(/== 8\.[^]*CRITICAL AUTHENTICODE_UNSIGNED/);
    expect(out.match(/-> exit \d, as expected/g)).toEqual([
      '-> exit 0, as expected',
      '-> exit 0, as expected',
      '-> exit 1, as expected',
      '-> exit 1, as expected',
      '-> exit 1, as expected',
    ]);

    // Independently of rmm-verify: every agent's SHA-384 and size are the vendor's, and are pinned.
    const agents = join(work, 'package/agents');
    const vendorList = JSON.parse(readFileSync(join(agents, 'hashagents.json'), 'utf8')) as Record<
      string,
      { filename: string; hash: string; size: number }
    >;
    const manifest = JSON.parse(
      readFileSync(join(work, 'manifests/meshcentral-agent.json'), 'utf8'),
    ) as Manifest;
    const pins = new Map((manifest.releases[0]?.artifacts ?? []).map((a) => [a.name, a]));
    expect(pins.size).toBe(Object.keys(vendorList).length);
    for (const entry of Object.values(vendorList)) {
      const bytes = readFileSync(join(agents, entry.filename));
      expect(bytes.length).toBe(entry.size);
      const sha384 = createHash('sha384').update(bytes).digest('hex');
      expect(sha384).toBe(entry.hash.toLowerCase());
      const pin = pins.get(entry.filename);
      expect(pin?.digests.sha384).toBe(sha384);
      expect(pin?.digests.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(pin?.resigned !== undefined).toBe(entry.filename.endsWith('.exe'));
    }
  });
});
