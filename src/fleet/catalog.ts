import type { Advisory, Manifest } from '../manifest/types.ts';
import { evaluateVersionPolicy } from '../manifest/version-policy.ts';
import { ownString } from './own-string.ts';
import { nameKey } from './product-name.ts';
import type { RmmTool, RmmToolMatcher } from './rmm-tools.ts';
import type { DriftClass } from './types.ts';

/** Version classes: exactly one per managed agent. */
export type VersionClass = Extract<
  DriftClass,
  'on-target' | 'behind' | 'below-minimum' | 'ahead-of-target' | 'unknown-version'
>;

/** What one distinct (product, version) means under the manifest's policy; computed once. */
export interface VersionInfo {
  readonly version: string;
  readonly versionClass: VersionClass;
  readonly revokedBy: string | undefined;
  readonly advisories: readonly Advisory[];
  /** sha256 of every artifact pinned for this version; undefined when the manifest has no such release. */
  readonly pinnedSha256: ReadonlySet<string> | undefined;
  /** Whether a (lower-case hex) sha256 is pinned for this version. */
  isPinned(sha256: string): boolean;
}

/** A product with a pinned manifest: its agents are classified. */
export interface ManagedProduct {
  readonly kind: 'managed';
  /** Index into the catalog's product keys. */
  readonly key: number;
  readonly id: string;
  readonly manifest: Manifest;
  readonly platforms: ReadonlySet<string> | undefined;
  info(version: string): VersionInfo;
  /**
   * Whether an inventory platform is allowed: exactly (case-insensitive), or as the family of an
   * allowed platform (`windows` for `windows-x64`: osquery tables report no architecture).
   * Always true when the policy lists no platforms or the row reports none.
   */
  platformAllowed(platform: string): boolean;
}

/** A known RMM / remote-access tool without a manifest: allowed or unapproved per tenant. */
export interface ToolProduct {
  readonly kind: 'tool';
  readonly key: number;
  readonly id: string;
  readonly tool: RmmTool;
}

export type ProductRef = ManagedProduct | ToolProduct;

function makeManaged(manifest: Manifest, key: number): ManagedProduct {
  const pinned = new Map<string, Set<string>>();
  for (const release of manifest.releases) {
    const set = new Set<string>();
    for (const artifact of release.artifacts) {
      const sha = artifact.digests.sha256;
      if (sha !== undefined) set.add(sha.toLowerCase());
    }
    pinned.set(release.version, set);
  }
  const cache = new Map<string, VersionInfo>();
  const platformCache = new Map<string, boolean>();
  const platforms = manifest.policy.platforms?.length
    ? new Set(manifest.policy.platforms.map((p) => p.toLowerCase()))
    : undefined;
  return {
    kind: 'managed',
    key,
    id: manifest.product,
    manifest,
    platforms,
    platformAllowed(platform: string): boolean {
      if (platforms === undefined || platform === '') return true;
      let allowed = platformCache.get(platform);
      if (allowed === undefined) {
        const key = platform.toLowerCase();
        allowed = platforms.has(key) || [...platforms].some((p) => p.startsWith(`${key}-`));
        if (platformCache.size < 1000) platformCache.set(platform, allowed);
      }
      return allowed;
    },
    info(version: string): VersionInfo {
      let info = cache.get(version);
      if (info === undefined) {
        const verdict = evaluateVersionPolicy(manifest.policy, version);
        const versionClass: VersionClass = !verdict.valid
          ? 'unknown-version'
          : verdict.belowMinimum
            ? 'below-minimum'
            : verdict.comparedToTarget < 0
              ? 'behind'
              : verdict.comparedToTarget === 0
                ? 'on-target'
                : 'ahead-of-target';
        const set = pinned.get(version);
        const list = set === undefined ? [] : [...set];
        // A version pins a handful of artifacts: comparing them beats hashing a 64-character key.
        const isPinned =
          list.length <= 8
            ? (sha256: string) => {
                for (const pin of list) if (pin === sha256) return true;
                return false;
              }
            : (sha256: string) => set?.has(sha256) === true;
        info = {
          version,
          isPinned,
          versionClass,
          revokedBy: verdict.revokedBy,
          advisories: verdict.advisories,
          pinnedSha256: pinned.get(version),
        };
        // Bounded: a hostile inventory could report millions of distinct versions.
        if (cache.size < 100_000) cache.set(version, info);
      }
      return info;
    },
  };
}

/** What a product name resolved to: the product, and the tool instance the name names ('' for none). */
interface Resolved {
  readonly ref: ProductRef | null;
  readonly instance: string;
}

const UNRESOLVED: Resolved = { ref: null, instance: '' };

/**
 * Resolves inventory product names to managed products (manifest.product and manifest.aliases)
 * or known RMM tools; anything else is not ours to judge and is skipped. Names are compared in
 * their normal form (product-name.ts: NFKC, invisible characters, confusables, case, spacing),
 * so a renamed `Аny\u200BDesk` is still AnyDesk. Results are cached per raw name, so the work
 * is per distinct name, not per row.
 */
export class ProductCatalog {
  readonly products: readonly ProductRef[];
  private readonly byName = new Map<string, ManagedProduct>();
  private readonly tools: RmmToolMatcher;
  private readonly toolRefs = new Map<string, ToolProduct>();
  private readonly cache = new Map<string, Resolved>();
  private readonly maxCached: number;

  constructor(manifests: readonly Manifest[], tools: RmmToolMatcher, maxCached: number) {
    const products: ProductRef[] = [];
    for (const manifest of manifests) {
      const managed = makeManaged(manifest, products.length);
      products.push(managed);
      for (const name of [manifest.product, ...(manifest.aliases ?? [])]) {
        const key = nameKey(name);
        if (key !== '' && !this.byName.has(key)) this.byName.set(key, managed);
      }
    }
    this.products = products;
    this.tools = tools;
    this.maxCached = maxCached;
  }

  /** Every sha256 pinned by a managed product (lower-case hex), each once. */
  pinnedSha256(): string[] {
    const all = new Set<string>();
    for (const product of this.products) {
      if (product.kind !== 'managed') continue;
      for (const release of product.manifest.releases)
        for (const artifact of release.artifacts) {
          const sha = artifact.digests.sha256;
          if (sha !== undefined) all.add(sha.toLowerCase());
        }
    }
    return [...all];
  }

  /** Whether any managed product restricts platforms (then rows' platforms matter). */
  hasPlatformPolicies(): boolean {
    return this.products.some((p) => p.kind === 'managed' && p.platforms !== undefined);
  }

  resolve(name: string): ProductRef | null {
    return this.lookup(name).ref;
  }

  /**
   * The instance of a tool the name names (the ScreenConnect client id in
   * `ScreenConnect Client (1a2b3c4d5e6f7a8b)`), lower case; '' when it names none.
   */
  instanceOf(name: string): string {
    return this.lookup(name).instance;
  }

  private lookup(name: string): Resolved {
    let resolved = this.cache.get(name);
    if (resolved !== undefined) return resolved;
    const key = nameKey(name);
    const managed = this.byName.get(key);
    if (managed !== undefined) resolved = { ref: managed, instance: '' };
    else {
      const match = this.tools.matchInstance(name);
      if (match === undefined) resolved = UNRESOLVED;
      else {
        // A tool that is also a managed product (by id or name) is managed.
        const ref =
          this.byName.get(nameKey(match.tool.id)) ??
          this.byName.get(nameKey(match.tool.name)) ??
          this.toolRef(match.tool);
        resolved = { ref, instance: ref.kind === 'tool' ? match.instance : '' };
      }
    }
    if (this.cache.size < this.maxCached) this.cache.set(ownString(name), resolved);
    return resolved;
  }

  private toolRef(tool: RmmTool): ToolProduct {
    let ref = this.toolRefs.get(tool.id);
    if (ref === undefined) {
      ref = { kind: 'tool', key: this.products.length, id: tool.id, tool };
      (this.products as ProductRef[]).push(ref);
      this.toolRefs.set(tool.id, ref);
    }
    return ref;
  }
}
