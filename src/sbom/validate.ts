import type { ErrorObject, ValidateFunction } from 'ajv';

import { defaults } from '../defaults.ts';
import { finding, type Finding } from '../findings.ts';
import type { JsonValue } from '../json/index.ts';
import { explainSchemaError } from '../json/schema-errors.ts';
import type { CycloneDxVersion, SbomDocument } from './document.ts';
import type { Sbom } from './model.ts';
import { FindingCollector, normalizeSbom } from './normalize.ts';

export { firstDuplicate } from './unique-items.ts';

const validators = new Map<string, Promise<ValidateFunction>>();

/**
 * The precompiled validator of a schema (src/validators/, built by scripts/build-validators.ts
 * from the bundled official schemas; `uniqueItems` checked by unique-items.ts), loaded on first use.
 */
async function loadValidator(key: 'spdx-2.3' | CycloneDxVersion): Promise<ValidateFunction> {
  const module = await (() => {
    switch (key) {
      case 'spdx-2.3':
        return import('../validators/spdx-2.3.ts');
      case '1.4':
        return import('../validators/cyclonedx-1.4.ts');
      case '1.5':
        return import('../validators/cyclonedx-1.5.ts');
      case '1.6':
        return import('../validators/cyclonedx-1.6.ts');
    }
  })();
  return module.validate as unknown as ValidateFunction;
}

function validatorFor(document: SbomDocument): Promise<ValidateFunction> | undefined {
  const kind = document.kind;
  if (kind.format === 'unsupported') return undefined;
  const key = kind.format === 'spdx' ? 'spdx-2.3' : kind.specVersion;
  let validator = validators.get(key);
  if (!validator) {
    validator = loadValidator(key);
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
