import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

import { defaults } from '../defaults.ts';
import { finding, type Finding } from '../findings.ts';
import type { JsonValue } from '../json/index.ts';
import { explainSchemaError } from '../json/schema-errors.ts';
import type { CycloneDxVersion, SbomDocument } from './document.ts';
import type { Sbom } from './model.ts';
import { FindingCollector, normalizeSbom } from './normalize.ts';
import { SPDX_23_SCHEMA } from './spdx-schema.ts';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv, formats: string[]) => Ajv;

let ajvInstance: Promise<Ajv> | undefined;
const validators = new Map<string, Promise<ValidateFunction>>();

/** The bundled schemas load lazily (they are large) and compile once per process. */
async function getAjv(): Promise<Ajv> {
  ajvInstance ??= (async () => {
    const [spdx, jsf] = await Promise.all([
      import('./schemas/spdx.SNAPSHOT.schema.json', { with: { type: 'json' } }),
      import('./schemas/jsf-0.82.SNAPSHOT.schema.json', { with: { type: 'json' } }),
    ]);
    // strict: false because the CycloneDX schemas use keywords ajv's strict mode rejects
    // (`meta:enum`, `deprecated`); remote $refs are never fetched (no loadSchema).
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    // The BOM schemas refer to their dependencies by these file names (see schemas/README.md).
    ajv.addSchema(spdx.default, 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
    ajv.addSchema(jsf.default, 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
    addFormats(ajv, ['date-time', 'uri', 'email']);
    ajv.addKeyword({
      keyword: UNIQUE_KEYWORD,
      type: 'array',
      schemaType: 'boolean',
      errors: true,
      validate: function uniqueItemsLinear(this: unknown, enabled: boolean, data: unknown[]): boolean {
        if (!enabled) return true;
        const duplicate = firstDuplicate(data);
        if (duplicate < 0) return true;
        (uniqueItemsLinear as unknown as { errors: Partial<ErrorObject>[] }).errors = [
          {
            keyword: 'uniqueItems',
            message: `must not contain duplicate items (item ${duplicate} repeats an earlier one)`,
            params: { duplicate },
          },
        ];
        return false;
      },
    });
    // JSON Schema draft-07 formats ajv-formats lacks: accepted as the CycloneDX library does.
    ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
    ajv.addFormat('iri-reference', true);
    return ajv;
  })();
  return ajvInstance;
}

async function loadCycloneDxSchema(version: CycloneDxVersion): Promise<unknown> {
  switch (version) {
    case '1.4':
      return (await import('./schemas/bom-1.4.SNAPSHOT.schema.json', { with: { type: 'json' } })).default;
    case '1.5':
      return (await import('./schemas/bom-1.5.SNAPSHOT.schema.json', { with: { type: 'json' } })).default;
    case '1.6':
      return (await import('./schemas/bom-1.6.SNAPSHOT.schema.json', { with: { type: 'json' } })).default;
  }
}

/** Our replacement for `uniqueItems` (see uniqueItemsLinear). */
const UNIQUE_KEYWORD = 'uniqueItemsLinear';

/**
 * A copy of a schema with every `uniqueItems: true` replaced by `uniqueItemsLinear: true`. ajv
 * checks `uniqueItems` on arrays of objects by comparing every pair (quadratic: hours for
 * 50,000 components); the replacement gives the same verdict in one pass over canonical forms.
 */
function withLinearUniqueItems(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withLinearUniqueItems);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'uniqueItems' && value === true) out[UNIQUE_KEYWORD] = true;
    // `enum`, `const` and `examples` hold data, not subschemas.
    else if (key === 'enum' || key === 'const' || key === 'examples') out[key] = value;
    else out[key] = withLinearUniqueItems(value);
  }
  return out;
}

/** JSON text with object keys sorted: equal for exactly the values JSON Schema calls equal. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
}

/**
 * A cheap key that equal values share (sorted keys and top-level primitive values); unequal
 * values usually differ in it already, so the full canonical form is built only on collisions.
 */
function shallowKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.length}`;
  const record = value as Record<string, unknown>;
  let key = '{';
  for (const k of Object.keys(record).sort()) {
    const v = record[k];
    key += `${JSON.stringify(k)}:${v === null || typeof v !== 'object' ? JSON.stringify(v) : typeof v},`;
  }
  return key;
}

/**
 * Components, services and dependency entries carry an identifier (`bom-ref`, `ref`): equal
 * items have equal identifiers, so it is a valid (and cheap) bucket key.
 */
function identityKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const bomRef = record['bom-ref'];
  if (typeof bomRef === 'string') return `bom-ref\u0000${bomRef}`;
  const ref = record['ref'];
  if (typeof ref === 'string') return `ref\u0000${ref}`;
  return undefined;
}

/**
 * Index of the first item equal to an earlier one (JSON Schema equality), or -1. Linear in the
 * total size of the items: each item's canonical form is built at most once, and only when its
 * cheap key collides with an earlier item's (many components may share one bom-ref, so comparing
 * against every earlier item of a bucket would be quadratic again).
 */
export function firstDuplicate(items: readonly unknown[]): number {
  if (items.length < 2) return -1;
  // Cheap key → the first item with that key, until a second arrives; then the set of the
  // canonical forms of every item with that key.
  const buckets = new Map<string, { first: unknown } | Set<string>>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const key = identityKey(item) ?? shallowKey(item);
    const bucket = buckets.get(key);
    if (bucket === undefined) {
      buckets.set(key, { first: item });
      continue;
    }
    // Numbers: JSON Schema compares mathematically (1 equals 1.0); JSON.stringify agrees.
    const full = canonical(item);
    if (bucket instanceof Set) {
      if (bucket.has(full)) return i;
      bucket.add(full);
      continue;
    }
    const first = canonical(bucket.first);
    if (first === full) return i;
    buckets.set(key, new Set([first, full]));
  }
  return -1;
}

function validatorFor(document: SbomDocument): Promise<ValidateFunction> | undefined {
  const kind = document.kind;
  if (kind.format === 'unsupported') return undefined;
  const key = kind.format === 'spdx' ? 'spdx-2.3' : kind.specVersion;
  let validator = validators.get(key);
  if (!validator) {
    validator = (async () => {
      const ajv = await getAjv();
      const schema =
        kind.format === 'spdx'
          ? SPDX_23_SCHEMA
          : withLinearUniqueItems(await loadCycloneDxSchema(kind.specVersion));
      return ajv.compile(schema as object);
    })();
    validators.set(key, validator);
  }
  return validator;
}

/**
 * `oneOf`/`anyOf` failures come with the errors of every branch; keep the most specific: drop
 * an error when a deeper one exists below its pointer.
 */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const pointers = errors.map((e) => e.instancePath);
  return errors.filter(
    (e) =>
      !(
        (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') &&
        pointers.some((p) => p !== e.instancePath && p.startsWith(`${e.instancePath}/`))
      ),
  );
}

/**
 * The strict parser builds objects without a prototype (so a `__proto__` key is plain data);
 * ajv's deep equality (object `const`/`enum`) calls `valueOf`. Gives every object the ordinary
 * prototype in place; own keys (even `__proto__`) stay own data properties.
 */
function withObjectPrototypes(root: JsonValue): void {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    if (Object.getPrototypeOf(value) === null) Object.setPrototypeOf(value, Object.prototype);
    for (const key in value) {
      const item = value[key];
      if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
}

export interface SbomValidation {
  /** True when no finding fails (schema, identifiers, references). */
  readonly valid: boolean;
  readonly findings: readonly Finding[];
  /** The normalised SBOM (read defensively, so present even when invalid); absent for unsupported formats. */
  readonly sbom?: Sbom;
}

export interface ValidateOptions {
  /** Schema errors reported per document. */
  readonly maxErrors?: number;
}

/** Lines and columns are computed for this many errors (each costs a scan of the text). */
const MAX_LOCATED = 10;

/**
 * Validates a parsed SBOM: CycloneDX 1.4–1.6 against the bundled official JSON Schemas, SPDX 2.3
 * against the essential structure in spdx-schema.ts; then unique identifiers and references.
 */
export async function validateSbom(
  document: SbomDocument,
  options: ValidateOptions = {},
): Promise<SbomValidation> {
  const file = document.file;
  const pending = validatorFor(document);
  if (!pending) {
    const reason = document.kind.format === 'unsupported' ? document.kind.reason : '';
    return {
      valid: false,
      findings: [
        finding('SBOM_UNSUPPORTED_FORMAT', {
          subject: file,
          message: `not a supported SBOM: ${reason}`,
          location: { file, pointer: '' },
        }),
      ],
    };
  }
  const validate = await pending;
  const collector = new FindingCollector(options.maxErrors ?? defaults.maxSbomSchemaErrors);
  let valid: boolean;
  try {
    valid = validate(document.json.value);
  } catch (error: unknown) {
    // ajv compares object-valued `const`/`enum` with fast-deep-equal, which needs an ordinary
    // prototype; the bundled schemas have none, but a future one might: retry with prototypes.
    if (!(error instanceof TypeError)) throw error;
    withObjectPrototypes(document.json.value);
    valid = validate(document.json.value);
  }
  if (!valid) {
    let located = 0;
    for (const error of mostSpecific(validate.errors ?? [])) {
      const { pointer, message } = explainSchemaError(error);
      collector.add('SBOM_SCHEMA_INVALID', () => {
        const position = located++ < MAX_LOCATED ? document.json.positionOf(error.instancePath) : undefined;
        return finding('SBOM_SCHEMA_INVALID', {
          subject: file,
          message: `${pointer || '/'}: ${message}`,
          evidence: { pointer, keyword: error.keyword, schemaPath: error.schemaPath },
          location: { file, pointer, ...(position ? { line: position.line } : {}) },
        });
      });
    }
  }
  const schemaFindings = collector.finish(file);
  const normalized = normalizeSbom(document);
  const findings = [...schemaFindings, ...normalized.findings];
  return { valid: findings.length === 0, findings, sbom: normalized.sbom };
}
