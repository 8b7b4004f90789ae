/**
 * Realistic inventory generator for bench/drift.ts (and tests that need volume): 1,000 tenants,
 * 20 products (16 agents with pinned manifests, 4 well-known remote-access tools), 200 versions
 * (10 per product), skewed the way fleets are (most agents on target, a tail behind), with
 * ~70% of rows carrying a sha256 (0.1% of them matching no pinned artifact, 0.2% the same
 * version's artifact for the other platform), 1% duplicate rows and ~3% stale check-ins. The
 * last four agent products allow only windows-x64, so their linux-x64 agents are on a platform
 * the policy does not allow. Deterministic.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import type { AllowItem, DriftConfig } from '../src/fleet/config.ts';
import type { Manifest } from '../src/manifest/types.ts';

export const TENANTS = 1000;
export const AGENT_PRODUCTS = 16;
export const TOOL_PRODUCTS = ['AnyDesk', 'TeamViewer', 'ScreenConnect Client', 'Splashtop Streamer'];
export const VERSIONS_PER_PRODUCT = 10;

export const BENCH_NOW = new Date('2026-11-29T12:00:00Z');

const productName = (p: number) => `Agent${String(p).padStart(2, '0')} RMM`;
const productId = (p: number) => `agent${String(p).padStart(2, '0')}`;
const versionOf = (v: number) => `7.${v}.0`;

/** sha256-looking hex derived from its inputs (not a real digest; only equality matters). */
export function fakeSha(p: number, v: number, platform: number): string {
  let h = (p * 7919 + v * 104729 + platform * 1299709) >>> 0;
  let out = '';
  for (let i = 0; i < 8; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

export const PLATFORMS = ['windows-x64', 'linux-x64'];
/** Agent products from this index on allow only windows-x64 (policy.platforms). */
export const WINDOWS_ONLY_FROM = 12;

/**
 * Where a benchmark keeps the generated inventory of `rows` rows. The name carries the
 * generator's revision, so a cached file from an older generator is never reused.
 */
export function inventoryPath(dir: string, rows: number): string {
  return join(dir, `drift-v2-${rows}.csv`);
}
/** Every product name and version the generator writes (for the DuckDB peer's lookup tables). */
export const PRODUCT_NAMES: readonly string[] = [
  ...Array.from({ length: AGENT_PRODUCTS }, (_, p) => productName(p)),
  ...TOOL_PRODUCTS,
];
export const VERSIONS: readonly string[] = Array.from({ length: VERSIONS_PER_PRODUCT }, (_, v) =>
  versionOf(v),
);

export function benchManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (let p = 0; p < AGENT_PRODUCTS; p++) {
    manifests.push({
      schema: 1,
      product: productId(p),
      vendor: `Vendor ${p}`,
      aliases: [productName(p)],
      serial: 1,
      issued: '2026-01-01T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      signers: {},
      policy: {
        target: versionOf(8),
        minimum: '>=7.3.0',
        revoked: ['7.5.0'],
        advisories: [{ id: `ADV-${p}`, versions: '<7.2.0', severity: 'critical' }],
        ...(p >= WINDOWS_ONLY_FROM ? { platforms: ['windows-x64'] } : {}),
      },
      releases: Array.from({ length: 9 }, (_, v) => ({
        version: versionOf(v),
        artifacts: PLATFORMS.map((platform, i) => ({
          name: `agent-${v}-${platform}`,
          platform,
          size: 1000,
          digests: { sha256: fakeSha(p, v, i) },
        })),
      })),
    });
  }
  return manifests;
}

/** Half the tenants may run AnyDesk; every tenant may run ScreenConnect. */
export function benchConfig(): DriftConfig {
  const tenants: Record<string, { allow: readonly AllowItem[] }> = {};
  for (let t = 0; t < TENANTS; t += 2) tenants[tenantName(t)] = { allow: ['anydesk'] };
  return { allow: ['screenconnect'], tenants };
}

const tenantName = (t: number) => `tenant-${String(t).padStart(4, '0')}`;

/** xorshift32: fast and deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

// Version skew: index 8 is the target; 9 is ahead (unknown to the manifest).
const VERSION_WEIGHTS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.01, 0.08, 0.15, 0.6, 0.045];
const CUMULATIVE = VERSION_WEIGHTS.map((_, i) => VERSION_WEIGHTS.slice(0, i + 1).reduce((a, b) => a + b, 0));

export function generateInventory(
  path: string,
  rows: number,
  now = Date.parse('2026-11-29T12:00:00Z'),
): void {
  const random = rng(0x5eed);
  const fd = openSync(path, 'w');
  const lines: string[] = ['tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen'];
  const recent: string[] = [];
  const day = 86_400_000;
  for (let i = 0; i < rows; i++) {
    if (i % 100 === 99 && recent.length > 0) {
      // 1% duplicates: an earlier row's key, reported again with a later timestamp.
      const earlier = recent[Math.floor(random() * recent.length)] as string;
      lines.push(`${earlier}${new Date(now - Math.floor(random() * day)).toISOString()}`);
    } else {
      const t = Math.floor(random() * TENANTS);
      const endpoint = `ep${t.toString(36)}-${i.toString(36)}`;
      const toolRow = random() < 0.05;
      const platformIndex = random() < 0.7 ? 0 : 1;
      let product: string;
      let version: string;
      let sha = '';
      if (toolRow) {
        product = TOOL_PRODUCTS[Math.floor(random() * TOOL_PRODUCTS.length)] as string;
        version = `${1 + Math.floor(random() * 15)}.0.${Math.floor(random() * 100)}`;
      } else {
        const p = Math.floor(random() * AGENT_PRODUCTS);
        const r = random();
        let v = CUMULATIVE.findIndex((c) => r < c);
        if (v < 0) v = 8;
        product = productName(p);
        version = versionOf(v);
        if (random() < 0.7) {
          // 0.1% a hash no manifest pins (tampered), 0.2% the other platform's artifact.
          const r2 = random();
          sha =
            r2 < 0.001
              ? fakeSha(p + 100, v, platformIndex)
              : fakeSha(p, v, r2 < 0.003 ? 1 - platformIndex : platformIndex);
        }
      }
      const age =
        random() < 0.03 ? 15 * day + Math.floor(random() * 60 * day) : Math.floor(random() * 7 * day);
      const key = `${tenantName(t)},${endpoint},host-${endpoint},${product},`;
      if (recent.length < 1000) recent.push(`${key}${version},${sha},${PLATFORMS[platformIndex] as string},`);
      else recent[i % 1000] = `${key}${version},${sha},${PLATFORMS[platformIndex] as string},`;
      lines.push(
        `${key}${version},${sha},${PLATFORMS[platformIndex] as string},${new Date(now - age).toISOString()}`,
      );
    }
    if (lines.length >= 50_000) {
      writeSync(fd, `${lines.join('\n')}\n`);
      lines.length = 0;
    }
  }
  if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`);
  closeSync(fd);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const [path, count] = process.argv.slice(2);
  generateInventory(path ?? 'bench/out/drift.csv', Number(count ?? 1_000_000));
}
