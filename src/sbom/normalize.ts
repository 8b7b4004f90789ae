import { defaults } from '../defaults.ts';
import { finding, type Finding, type FindingCode, type Severity } from '../findings.ts';
import { isJsonObject, type JsonValue } from '../json/index.ts';
import type { SbomDocument } from './document.ts';
import type { Sbom, SbomComponent, SbomHash, SbomLicense } from './model.ts';
import { SPDX_DEPENDENCY_RELATIONSHIPS } from './spdx-schema.ts';
import { quoteUntrusted } from '../text/truncate.ts';

type JsonObject = { [key: string]: JsonValue };

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
function arr(value: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(value) ? value : [];
}
function obj(value: JsonValue | undefined): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

/** `SHA-256` (CycloneDX) and `SHA256` (SPDX) both become `sha256`; `SHA3-256` becomes `sha3-256`. */
export function normalizeHashAlgorithm(name: string): string {
  const known = HASH_ALGORITHMS.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const sha2 = /^sha-?(1|224|256|384|512)$/.exec(lower);
  return sha2 ? `sha${sha2[1] ?? ''}` : lower;
}

/** The spellings CycloneDX and SPDX use, looked up without a regular expression per hash. */
const HASH_ALGORITHMS = new Map([
  ['SHA-1', 'sha1'],
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
  ['SHA1', 'sha1'],
  ['SHA256', 'sha256'],
  ['SHA384', 'sha384'],
  ['SHA512', 'sha512'],
]);

/** Collects findings with a cap per code, so a hostile document cannot produce millions. */
export class FindingCollector {
  readonly findings: Finding[] = [];
  readonly #counts = new Map<FindingCode, number>();
  readonly #severities = new Map<FindingCode, Severity>();
  readonly #max: number;

  constructor(max: number = defaults.maxSbomSchemaErrors) {
    this.#max = max;
  }

  add(code: FindingCode, build: () => Finding): void {
    const count = (this.#counts.get(code) ?? 0) + 1;
    this.#counts.set(code, count);
    if (count <= this.#max) {
      const built = build();
      this.#severities.set(code, built.severity);
      this.findings.push(built);
    }
  }

  /** Adds one summary finding per code that went over the cap (none when the cap is 0: counting only). */
  finish(subject: string): Finding[] {
    for (const [code, count] of this.#counts) {
      const severity = this.#severities.get(code);
      if (count > this.#max && this.#max > 0) {
        this.findings.push(
          finding(code, {
            subject,
            message: `${count - this.#max} more ${code} findings not listed (limit ${this.#max})`,
            ...(severity ? { severity } : {}),
            evidence: { omitted: count - this.#max },
          }),
        );
      }
    }
    return this.findings;
  }
}

export interface NormalizedSbom {
  readonly sbom: Sbom;
  /** Duplicate identifiers and references to unknown elements. */
  readonly findings: readonly Finding[];
}

/**
 * Turns a parsed CycloneDX or SPDX document into the internal Sbom shape. Reads defensively, so
 * it also works on a document that failed schema validation (fields of the wrong type are
 * treated as absent); checks identifier uniqueness and references on the way.
 */
export function normalizeSbom(document: SbomDocument): NormalizedSbom {
  const collector = new FindingCollector();
  const root = obj(document.json.value) ?? {};
  const sbom =
    document.kind.format === 'spdx'
      ? normalizeSpdx(document, root, collector)
      : normalizeCycloneDx(document, root, collector);
  return { sbom, findings: collector.finish(document.file) };
}

function cycloneDxComponent(value: JsonObject, pointer: string): SbomComponent {
  const licenses: SbomLicense[] = [];
  for (const entry of arr(value['licenses'])) {
    const choice = obj(entry);
    if (!choice) continue;
    const expression = str(choice['expression']);
    if (expression) licenses.push({ kind: 'expression', value: expression });
    const license = obj(choice['license']);
    const id = str(license?.['id']);
    const name = str(license?.['name']);
    if (id) licenses.push({ kind: 'expression', value: id });
    else if (name) licenses.push({ kind: 'name', value: name });
  }
  const hashes: SbomHash[] = [];
  for (const entry of arr(value['hashes'])) {
    const hash = obj(entry);
    const alg = str(hash?.['alg']);
    const content = str(hash?.['content']);
    if (alg && content) hashes.push({ algorithm: normalizeHashAlgorithm(alg), value: content.toLowerCase() });
  }
  const supplier = organization(value['supplier']) ?? organization(value['manufacturer']);
  const publisher = str(value['publisher']) ?? str(value['author']) ?? firstAuthor(value['authors']);
  const swid = str(obj(value['swid'])?.['tagId']);
  // Built field by field (not with spreads): this runs once per component, 50,000 times and more.
  const component: Mutable<SbomComponent> = { pointer, name: str(value['name']) ?? '', licenses, hashes };
  const ref = str(value['bom-ref']);
  if (ref !== undefined) component.ref = ref;
  const group = str(value['group']);
  if (group !== undefined) component.group = group;
  const version = str(value['version']);
  if (version !== undefined) component.version = version;
  const purl = str(value['purl']);
  if (purl !== undefined) component.purl = purl;
  const cpe = str(value['cpe']);
  if (cpe !== undefined) component.cpe = cpe;
  if (swid !== undefined) component.swid = swid;
  if (supplier !== undefined) component.supplier = supplier;
  if (publisher !== undefined) component.publisher = publisher;
  return component;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A CycloneDX organizationalEntity as one string: its name, else its first URL, else the e-mail
 * or name of its first contact (sbomqs accepts any of name, e-mail, URL).
 */
function organization(value: JsonValue | undefined): string | undefined {
  const entity = obj(value);
  if (!entity) return undefined;
  const name = str(entity['name']);
  if (name !== undefined) return name;
  for (const url of arr(entity['url'])) if (str(url) !== undefined) return str(url);
  for (const contact of arr(entity['contact'])) {
    const person = obj(contact);
    const named = str(person?.['email']) ?? str(person?.['name']);
    if (named !== undefined) return named;
  }
  return undefined;
}

function firstAuthor(value: JsonValue | undefined): string | undefined {
  for (const author of arr(value)) {
    const name = str(obj(author)?.['name']);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** `{ key: value }` when value is defined, else `{}` (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function normalizeCycloneDx(document: SbomDocument, root: JsonObject, collector: FindingCollector): Sbom {
  const file = document.file;
  const refs = new Map<string, string>(); // bom-ref → pointer of first use
  const noteRef = (ref: string | undefined, pointer: string): void => {
    if (ref === undefined) return;
    const first = refs.get(ref);
    if (first === undefined) refs.set(ref, pointer);
    else
      collector.add('SBOM_DUPLICATE_REF', () =>
        finding('SBOM_DUPLICATE_REF', {
          subject: file,
          message: `bom-ref ${quoteUntrusted(ref)} at ${pointer} is already used at ${first}`,
          evidence: { ref, pointer, firstPointer: first },
          location: { file, pointer: `${pointer}/bom-ref` },
        }),
      );
  };

  const metadata = obj(root['metadata']) ?? {};
  const subjects: SbomComponent[] = [];
  const subjectValue = obj(metadata['component']);
  if (subjectValue) {
    const subject = cycloneDxComponent(subjectValue, '/metadata/component');
    subjects.push(subject);
    noteRef(subject.ref, '/metadata/component');
  }

  const components: SbomComponent[] = [];
  // Depth-first in document order with an explicit stack: nesting is bounded by the parser.
  const walk = (list: JsonValue | undefined, pointer: string, into: SbomComponent[] | undefined): void => {
    const stack: { items: readonly JsonValue[]; pointer: string; index: number }[] = [
      { items: arr(list), pointer, index: 0 },
    ];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      if (top.index >= top.items.length) {
        stack.pop();
        continue;
      }
      const at = `${top.pointer}/${top.index}`;
      const value = obj(top.items[top.index]);
      top.index++;
      if (!value) continue;
      if (into) {
        const component = cycloneDxComponent(value, at);
        into.push(component);
        noteRef(component.ref, at);
      } else noteRef(str(value['bom-ref']), at);
      const nested = into ? value['components'] : value['services'];
      if (Array.isArray(nested) && nested.length > 0) {
        stack.push({ items: nested, pointer: `${at}/${into ? 'components' : 'services'}`, index: 0 });
      }
    }
  };
  if (subjectValue) walk(subjectValue['components'], '/metadata/component/components', components);
  walk(root['components'], '/components', components);
  walk(root['services'], '/services', undefined);

  const dependencies = new Map<string, string[]>();
  const unknown = (ref: string, pointer: string): void => {
    collector.add('SBOM_UNKNOWN_REF', () =>
      finding('SBOM_UNKNOWN_REF', {
        subject: file,
        message: `${pointer} refers to bom-ref ${quoteUntrusted(ref)}, which no component or service has`,
        evidence: { ref, pointer },
        location: { file, pointer },
      }),
    );
  };
  arr(root['dependencies']).forEach((entry, i) => {
    const dependency = obj(entry);
    const ref = str(dependency?.['ref']);
    if (!dependency || ref === undefined) return;
    if (!refs.has(ref)) unknown(ref, `/dependencies/${i}/ref`);
    const on: string[] = [];
    arr(dependency['dependsOn']).forEach((target, j) => {
      if (typeof target !== 'string') return;
      if (!refs.has(target)) unknown(target, `/dependencies/${i}/dependsOn/${j}`);
      on.push(target);
    });
    const existing = dependencies.get(ref);
    if (existing) existing.push(...on);
    else dependencies.set(ref, on);
  });

  // CycloneDX 1.4+ compositions: an aggregate of `complete` over `dependencies` says those
  // refs' dependency lists are complete (an empty one then means "no dependencies").
  const completeDependencies = new Set<string>();
  for (const entry of arr(root['compositions'])) {
    const composition = obj(entry);
    if (str(composition?.['aggregate']) !== 'complete') continue;
    for (const ref of arr(composition?.['dependencies']))
      if (typeof ref === 'string') completeDependencies.add(ref);
  }

  const authors: string[] = [];
  for (const author of arr(metadata['authors'])) {
    const a = obj(author);
    const name = str(a?.['name']) ?? str(a?.['email']);
    if (name) authors.push(name);
  }
  for (const key of ['manufacturer', 'manufacture', 'supplier']) {
    const name = str(obj(metadata[key])?.['name']);
    if (name) authors.push(name);
  }
  const tools = metadata['tools'];
  const toolList = Array.isArray(tools) ? tools : arr(obj(tools)?.['components']);
  for (const tool of toolList) {
    const t = obj(tool);
    const name = str(t?.['name']);
    if (name) authors.push(`Tool: ${name}${str(t?.['version']) ? ` ${str(t?.['version']) ?? ''}` : ''}`);
  }

  return {
    file,
    format: 'cyclonedx',
    specVersion:
      document.kind.format === 'cyclonedx' ? document.kind.specVersion : (str(root['specVersion']) ?? ''),
    sha256: document.sha256,
    subjects,
    components,
    authors,
    ...optional('timestamp', str(metadata['timestamp'])),
    dependencies,
    completeDependencies,
  };
}

/** `Organization: Acme (acme@example.com)` → `Acme (acme@example.com)`; NOASSERTION → undefined. */
function spdxParty(value: string | undefined): string | undefined {
  if (value === undefined || value === 'NOASSERTION') return undefined;
  const match = /^(?:Person|Organization|Tool):\s*(.*)$/.exec(value);
  return (match?.[1] ?? value).trim() || undefined;
}

function spdxLicense(value: string | undefined): SbomLicense[] {
  if (value === undefined || value === 'NOASSERTION' || value === 'NONE') return [];
  return [{ kind: 'expression', value }];
}

function spdxPackage(value: JsonObject, pointer: string): SbomComponent {
  let purl: string | undefined;
  let cpe: string | undefined;
  for (const entry of arr(value['externalRefs'])) {
    const ref = obj(entry);
    const type = str(ref?.['referenceType']);
    const locator = str(ref?.['referenceLocator']);
    if (!locator) continue;
    if (type === 'purl') purl ??= locator;
    else if (type === 'cpe23Type' || type === 'cpe22Type') cpe ??= locator;
  }
  const hashes: SbomHash[] = [];
  for (const entry of arr(value['checksums'])) {
    const checksum = obj(entry);
    const alg = str(checksum?.['algorithm']);
    const content = str(checksum?.['checksumValue']);
    if (alg && content) hashes.push({ algorithm: normalizeHashAlgorithm(alg), value: content.toLowerCase() });
  }
  const concluded = spdxLicense(str(value['licenseConcluded']));
  return {
    ...optional('ref', str(value['SPDXID'])),
    pointer,
    name: str(value['name']) ?? '',
    ...optional('version', str(value['versionInfo'])),
    ...optional('purl', purl),
    ...optional('cpe', cpe),
    ...optional('supplier', spdxParty(str(value['supplier']))),
    ...optional('publisher', spdxParty(str(value['originator']))),
    licenses: concluded.length > 0 ? concluded : spdxLicense(str(value['licenseDeclared'])),
    hashes,
  };
}

/** SPDX 2.3 clause 11: relationship types whose edge points from the related element to the element. */
const REVERSED = new Set([
  'CONTAINED_BY',
  'DEPENDENCY_OF',
  'BUILD_DEPENDENCY_OF',
  'DEV_DEPENDENCY_OF',
  'OPTIONAL_DEPENDENCY_OF',
  'PROVIDED_DEPENDENCY_OF',
  'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF',
  'PACKAGE_OF',
]);

function normalizeSpdx(document: SbomDocument, root: JsonObject, collector: FindingCollector): Sbom {
  const file = document.file;
  const ids = new Map<string, string>([['SPDXRef-DOCUMENT', '']]);
  const noteId = (id: string | undefined, pointer: string): void => {
    if (id === undefined) return;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, pointer);
    else
      collector.add('SBOM_DUPLICATE_REF', () =>
        finding('SBOM_DUPLICATE_REF', {
          subject: file,
          message: `SPDXID ${quoteUntrusted(id)} at ${pointer} is already used at ${first || '/'}`,
          evidence: { ref: id, pointer, firstPointer: first || '/' },
          location: { file, pointer: `${pointer}/SPDXID` },
        }),
      );
  };
  const packages: SbomComponent[] = [];
  arr(root['packages']).forEach((entry, i) => {
    const value = obj(entry);
    if (!value) return;
    const component = spdxPackage(value, `/packages/${i}`);
    packages.push(component);
    noteId(component.ref, component.pointer);
  });
  for (const key of ['files', 'snippets']) {
    arr(root[key]).forEach((entry, i) => {
      noteId(str(obj(entry)?.['SPDXID']), `/${key}/${i}`);
    });
  }

  const described = new Set<string>();
  for (const id of arr(root['documentDescribes'])) if (typeof id === 'string') described.add(id);
  const dependencies = new Map<string, string[]>();
  const checkId = (id: string, pointer: string): void => {
    if (id === 'NONE' || id === 'NOASSERTION' || id.startsWith('DocumentRef-') || ids.has(id)) return;
    collector.add('SBOM_UNKNOWN_REF', () =>
      finding('SBOM_UNKNOWN_REF', {
        subject: file,
        message: `${pointer} refers to SPDXID ${quoteUntrusted(id)}, which no element in the document has`,
        evidence: { ref: id, pointer },
        location: { file, pointer },
      }),
    );
  };
  arr(root['documentDescribes']).forEach((id, i) => {
    if (typeof id === 'string') checkId(id, `/documentDescribes/${i}`);
  });
  arr(root['relationships']).forEach((entry, i) => {
    const relationship = obj(entry);
    const from = str(relationship?.['spdxElementId']);
    const type = str(relationship?.['relationshipType']);
    const to = str(relationship?.['relatedSpdxElement']);
    if (from === undefined || type === undefined || to === undefined) return;
    checkId(from, `/relationships/${i}/spdxElementId`);
    checkId(to, `/relationships/${i}/relatedSpdxElement`);
    if (type === 'DESCRIBES' && from === 'SPDXRef-DOCUMENT') described.add(to);
    else if (type === 'DESCRIBED_BY' && to === 'SPDXRef-DOCUMENT') described.add(from);
    else if (SPDX_DEPENDENCY_RELATIONSHIPS.has(type)) {
      const [a, b] = REVERSED.has(type) ? [to, from] : [from, to];
      const list = dependencies.get(a);
      if (list) list.push(b);
      else dependencies.set(a, [b]);
    }
  });

  const subjects = packages.filter((p) => p.ref !== undefined && described.has(p.ref));
  const components = packages.filter((p) => p.ref === undefined || !described.has(p.ref));
  const creationInfo = obj(root['creationInfo']) ?? {};
  const authors = arr(creationInfo['creators'])
    .map((c) =>
      typeof c === 'string' && c.startsWith('Tool:') ? `Tool: ${spdxParty(c) ?? ''}` : spdxParty(str(c)),
    )
    .filter((c): c is string => c !== undefined);

  return {
    file,
    format: 'spdx',
    specVersion: str(root['spdxVersion']) ?? '',
    sha256: document.sha256,
    subjects,
    components,
    authors,
    ...optional('timestamp', str(creationInfo['created'])),
    dependencies,
    // SPDX states "no dependencies" with a relationship to NONE, which is an edge here.
    completeDependencies: new Set<string>(),
  };
}
