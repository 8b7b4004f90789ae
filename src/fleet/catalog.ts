import type { Manifest } from '../manifest/types.ts';
import { makeManaged, type ManagedProduct } from './managed-product.ts';
import { ownString } from './own-string.ts';
import { nameKey } from './product-name.ts';
import type { RmmTool, RmmToolMatcher } from './rmm-tools.ts';

export type { ManagedProduct, VersionClass, VersionInfo } from './managed-product.ts';

/** A known RMM / remote-access tool without a manifest: allowed or unapproved per tenant. */
export interface ToolProduct {
  readonly kind: 'tool';
  readonly key: number;
  readonly id: string;
  readonly tool: RmmTool;
}

export type ProductRef = ManagedProduct | ToolProduct;

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
  /** Per tool id: the managed product whose product name or alias is that tool. */
  private readonly byTool = new Map<string, ManagedProduct>();
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
        // A manifest that names a known tool (MeshCentral's with the alias `Mesh Agent`) covers
        // every name of that tool: its service, executable and package names are the managed
        // product too, never an unapproved tool.
        const tool = tools.match(name);
        if (tool !== undefined && !this.byTool.has(tool.id)) this.byTool.set(tool.id, managed);
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

  /**
   * Whether rows' platforms matter: a managed product restricts platforms, or pins sha256
   * digests (a digest is pinned for a version and a platform).
   */
  hasPlatformPolicies(): boolean {
    return this.products.some(
      (p) =>
        p.kind === 'managed' &&
        (p.platforms !== undefined || p.manifest.releases.some((r) => r.artifacts.length > 0)),
    );
  }

  resolve(name: string): ProductRef | null {
    return this.lookup(name).ref;
  }

  /**
   * The instance of a tool the name names (the ScreenConnect client id in
   * `ScreenConnect Client (1a2b3c4d5e6f7a8b)`), lower case; '' when it names none (also for a
   * managed product that is the tool: its instances are checked the same way).
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
          this.byTool.get(match.tool.id) ??
          this.toolRef(match.tool);
        resolved = { ref, instance: match.instance };
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
