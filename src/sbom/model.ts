import type { SbomFormat } from './document.ts';

/** A licence statement of a component: an SPDX expression, or a free-text name (not evaluable). */
export type SbomLicense =
  { readonly kind: 'expression'; readonly value: string } | { readonly kind: 'name'; readonly value: string };

export interface SbomHash {
  /** Lower case without dashes after "sha": `sha256`, `sha512`, `sha3-256`, `md5`. */
  readonly algorithm: string;
  /** Lower-case hex. */
  readonly value: string;
}

/** One component (CycloneDX component, SPDX package) in the one internal shape. */
export interface SbomComponent {
  /** bom-ref or SPDXID. */
  readonly ref?: string;
  /** JSON pointer of the component in its document. */
  readonly pointer: string;
  /** Empty when the document gives none. */
  readonly name: string;
  /** CycloneDX group (Maven groupId, npm scope, Go module prefix). */
  readonly group?: string;
  readonly version?: string;
  readonly purl?: string;
  readonly cpe?: string;
  readonly swid?: string;
  /**
   * Who creates, defines and identifies the component (NTIA "supplier" as sbomqs reads it):
   * CycloneDX `supplier`, else `manufacturer` (name, else URL, else contact e-mail or name);
   * SPDX `supplier`. Never the publisher, an author or an SPDX originator.
   */
  readonly supplier?: string;
  /**
   * Other parties the document names for the component, which NTIA does not count as its
   * supplier: CycloneDX `publisher`, `author`, `authors`; SPDX `originator`. Shown in diffs.
   */
  readonly publisher?: string;
  readonly licenses: readonly SbomLicense[];
  readonly hashes: readonly SbomHash[];
}

/** A parsed SBOM normalised to the fields rmm-verify checks. */
export interface Sbom {
  readonly file: string;
  readonly format: SbomFormat;
  /** `1.4`, `1.5`, `1.6` or `SPDX-2.3`. */
  readonly specVersion: string;
  readonly sha256: string;
  /** What the SBOM describes: CycloneDX metadata.component; SPDX documentDescribes packages. */
  readonly subjects: readonly SbomComponent[];
  /** Every component except the subjects, nested ones flattened, in document order. */
  readonly components: readonly SbomComponent[];
  /** Authors, manufacturer/supplier of the SBOM, tools (SPDX creators). */
  readonly authors: readonly string[];
  readonly timestamp?: string;
  /** Dependency edges: ref → refs it depends on (CycloneDX dependencies, SPDX relationships). */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /**
   * Refs whose dependency list the document declares complete (CycloneDX `compositions` with
   * aggregate `complete` listing the ref under `dependencies`), so an empty list is a statement.
   */
  readonly completeDependencies: ReadonlySet<string>;
}
