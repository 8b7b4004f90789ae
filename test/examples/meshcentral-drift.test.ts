import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadDriftConfig } from '../../src/fleet/config.ts';
import { scanDrift } from '../../src/fleet/drift.ts';
import { fileSource } from '../../src/fleet/inventory.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';

const DIR = fileURLToPath(new URL('../../examples/meshcentral/drift/', import.meta.url));
const NOW = new Date('2026-11-29T12:00:00Z');

/**
 * examples/meshcentral/drift: MeshAgent as inventories show it (uninstall DisplayName `Mesh
 * Agent`, its service names, the `meshagent` package, ProductName `MeshCentral Agent`; its
 * version is the agent's commit date; the ServerID of its .msh file as the instance). The
 * counts are written by hand from the rules: MeshAgent's names are the managed product (never
 * an unapproved tool), our server's agents on the pinned build are on target, another
 * MeshCentral server's agent is DRIFT_UNLISTED_INSTANCE, also beside ours on one endpoint.
 */
describe('examples/meshcentral/drift: MeshCentral agents in a fleet scan', () => {
  it('counts every agent once, ours on target and a stranger server’s as unlisted-instance', async () => {
    const manifest = (await loadManifestFile(`${DIR}meshcentral-agent.manifest.json`)).manifest;
    const { result, findings } = await scanDrift({
      manifests: uncheckedManifests([manifest]),
      sources: [fileSource(`${DIR}inventory.csv`)],
      now: NOW,
      config: await loadDriftConfig(`${DIR}drift-config.json`),
    });
    expect(result.fleet).toMatchObject({
      rows: 9,
      tenants: 2,
      agents: 8, // c-04 has two agents: ours and another server's
      onTarget: 5, // c-01 Mesh Agent, c-02 MeshCentral Agent, c-03 meshagent, c-04 ours, f-03 (names no server)
      duplicateRows: 0,
      otherRows: 0,
      tools: 1,
      unapprovedTools: 1, // f-04 ScreenConnect: not allowed
      unlistedInstances: 0,
      stale: 0,
    });
    expect(result.fleet.status).toMatchObject({
      'on-target': 5,
      'unlisted-instance': 2, // c-04 (Mesh Agent background service), f-02
      'unreleased-version': 1, // f-01: an agent build the manifest does not pin (also behind)
      'unknown-version': 0,
    });
    const subjects = (code: string) =>
      findings
        .filter((f) => f.code === code)
        .map((f) => f.subject)
        .sort();
    expect(subjects('DRIFT_UNLISTED_INSTANCE')).toEqual(['contoso/c-04', 'fabrikam/f-02']);
    expect(subjects('DRIFT_UNRELEASED_VERSION')).toEqual(['fabrikam/f-01']);
    expect(subjects('DRIFT_BEHIND')).toEqual(['fabrikam/f-01']);
    expect(subjects('DRIFT_UNAPPROVED_TOOL')).toEqual(['fabrikam/f-04']);
    expect(findings.find((f) => f.code === 'DRIFT_UNLISTED_INSTANCE')?.evidence).toMatchObject({
      product: 'meshcentral-agent',
      reportedProduct: 'Mesh Agent background service',
      primaryStatus: 'unlisted-instance',
    });
    expect(result.versions).toEqual([
      expect.objectContaining({ product: 'meshcentral-agent', version: '2025-03-06T21:44:07Z', count: 7 }),
      expect.objectContaining({ product: 'meshcentral-agent', version: '2024-10-02T17:05:11Z', count: 1 }),
    ]);
  });
});
