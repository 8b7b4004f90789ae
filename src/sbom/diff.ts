import { joinTextLines } from '../report/escape-text.ts';
import { escapeMarkdown } from '../report/markdown.ts';
import type { Sbom, SbomComponent } from './model.ts';
import { parsePurl, purlPackageKey } from './purl.ts';

/** One component in a diff. */
export interface DiffComponent {
  /** The package key: purl without version (`pkg:npm/lodash`), else `name:` + group/name. */
  readonly key: string;
  readonly name: string;
  readonly version?: string;
  readonly purl?: string;
  readonly license?: string;
  readonly supplier?: string;
}

export interface VersionChange {
  readonly key: string;
  readonly name: string;
  readonly from?: string;
  readonly to?: string;
}

export interface LicenseChange {
  readonly key: string;
  readonly name: string;
  readonly version?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface DiffSide {
  readonly file: string;
  readonly format: string;
  readonly specVersion: string;
  /** What the SBOM describes (compared like every other component). */
  readonly subjects: number;
  /** The other components. */
  readonly components: number;
}

export interface SbomDiff {
  readonly old: DiffSide;
  readonly new: DiffSide;
  readonly added: readonly DiffComponent[];
  readonly removed: readonly DiffComponent[];
  /** Same package, different version. */
  readonly changed: readonly VersionChange[];
  readonly licenseChanges: readonly LicenseChange[];
  /** Suppliers in the new SBOM that the old one does not name (case-insensitive). */
  readonly newSuppliers: readonly string[];
}

export function componentKey(component: SbomComponent): string {
  const purl = component.purl === undefined ? undefined : parsePurl(component.purl);
  if (purl) return purlPackageKey(purl);
  const name = component.group ? `${component.group}/${component.name}` : component.name;
  return `name:${name.toLowerCase()}`;
}

function licenseText(component: SbomComponent): string | undefined {
  const licenses = component.licenses;
  if (licenses.length === 0) return undefined;
  if (licenses.length === 1) return licenses[0]?.value;
  return licenses.map((l) => (/ (AND|OR|WITH) /i.test(l.value) ? `(${l.value})` : l.value)).join(' AND ');
}

function toDiffComponent(component: SbomComponent, key: string): DiffComponent {
  // Built field by field (no spreads): this runs for every component of both SBOMs.
  const entry: { -readonly [K in keyof DiffComponent]: DiffComponent[K] } = {
    key,
    name: component.group ? `${component.group}/${component.name}` : component.name,
  };
  if (component.version !== undefined) entry.version = component.version;
  if (component.purl !== undefined) entry.purl = component.purl;
  const license = licenseText(component);
  if (license !== undefined) entry.license = license;
  const supplier = component.supplier ?? component.publisher;
  if (supplier !== undefined) entry.supplier = supplier;
  return entry;
}

interface Side {
  readonly olds: DiffComponent[];
  readonly news: DiffComponent[];
}

/**
 * What a diff compares: the subjects (CycloneDX metadata.component, SPDX described packages)
 * and every other component. The subject is a component like the others: an SBOM whose product
 * moved to a vulnerable version, or an SPDX document that marks every package as described (and
 * so has no other component), must not diff as unchanged.
 */
function* diffedComponents(sbom: Sbom): Generator<SbomComponent> {
  yield* sbom.subjects;
  yield* sbom.components;
}

/** Both SBOMs' components by package key, in one map (old document order, then new). */
function group(oldSbom: Sbom, newSbom: Sbom): Map<string, Side> {
  const map = new Map<string, Side>();
  for (const [sbom, which] of [
    [oldSbom, 'olds'],
    [newSbom, 'news'],
  ] as const) {
    for (const component of diffedComponents(sbom)) {
      const key = componentKey(component);
      const entry = toDiffComponent(component, key);
      const side = map.get(key);
      if (side) side[which].push(entry);
      else map.set(key, which === 'olds' ? { olds: [entry], news: [] } : { olds: [], news: [entry] });
    }
  }
  return map;
}

const byVersion = (a: DiffComponent, b: DiffComponent): number =>
  (a.version ?? '').localeCompare(b.version ?? '', 'en', { numeric: true });
const byKey = (a: { key: string }, b: { key: string }): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/**
 * Compares two SBOMs by package key. A package present in both with different versions is a
 * change (several versions of one package pair up in version order; the rest are added or
 * removed); same version with a different licence is a licence change. Lists are sorted by key.
 */
export function diffSboms(oldSbom: Sbom, newSbom: Sbom): SbomDiff {
  const added: DiffComponent[] = [];
  const removed: DiffComponent[] = [];
  const changed: VersionChange[] = [];
  const licenseChanges: LicenseChange[] = [];
  for (const [key, { olds, news }] of group(oldSbom, newSbom)) {
    const [onlyOld] = olds;
    const [onlyNew] = news;
    if (olds.length === 1 && news.length === 1 && onlyOld && onlyNew) {
      // The common case: one version of the package on each side.
      if (onlyOld.version !== onlyNew.version) {
        changed.push({
          key,
          name: onlyNew.name,
          ...(onlyOld.version ? { from: onlyOld.version } : {}),
          ...(onlyNew.version ? { to: onlyNew.version } : {}),
        });
      }
      if (onlyOld.license !== onlyNew.license) licenseChanges.push(licenseChange(onlyOld, onlyNew));
      continue;
    }
    const newVersions = new Map(news.map((c) => [c.version ?? '', c]));
    const oldVersions = new Map(olds.map((c) => [c.version ?? '', c]));
    const gone = olds.filter((c) => !newVersions.has(c.version ?? '')).sort(byVersion);
    const come = news.filter((c) => !oldVersions.has(c.version ?? '')).sort(byVersion);
    for (const o of olds) {
      const n = newVersions.get(o.version ?? '');
      if (n && n.license !== o.license) licenseChanges.push(licenseChange(o, n));
    }
    const pairs = Math.min(gone.length, come.length);
    for (let i = 0; i < pairs; i++) {
      const o = gone[i];
      const n = come[i];
      if (!o || !n) continue;
      changed.push({
        key,
        name: n.name,
        ...(o.version ? { from: o.version } : {}),
        ...(n.version ? { to: n.version } : {}),
      });
      if (n.license !== o.license) licenseChanges.push(licenseChange(o, n));
    }
    removed.push(...gone.slice(pairs));
    added.push(...come.slice(pairs));
  }
  // Stable output order: by key (sort is stable, so entries of one key keep version order).
  added.sort(byKey);
  removed.sort(byKey);
  changed.sort(byKey);
  licenseChanges.sort(byKey);
  // The supplier, else the publisher or author: who a reviewer would see as the source.
  const oldSuppliers = new Set(
    [...diffedComponents(oldSbom)]
      .map((c) => (c.supplier ?? c.publisher)?.toLowerCase())
      .filter((s) => s !== undefined),
  );
  const newSuppliers = [
    ...new Set(
      [...diffedComponents(newSbom)]
        .map((c) => c.supplier ?? c.publisher)
        .filter((s): s is string => s !== undefined && !oldSuppliers.has(s.toLowerCase())),
    ),
  ].sort();
  const side = (sbom: Sbom) => ({
    file: sbom.file,
    format: sbom.format,
    specVersion: sbom.specVersion,
    subjects: sbom.subjects.length,
    components: sbom.components.length,
  });
  return { old: side(oldSbom), new: side(newSbom), added, removed, changed, licenseChanges, newSuppliers };
}

function licenseChange(o: DiffComponent, n: DiffComponent): LicenseChange {
  return {
    key: n.key,
    name: n.name,
    ...(n.version !== undefined ? { version: n.version } : {}),
    ...(o.license !== undefined ? { from: o.license } : {}),
    ...(n.license !== undefined ? { to: n.license } : {}),
  };
}

export function diffIsEmpty(diff: SbomDiff): boolean {
  return (
    diff.added.length +
      diff.removed.length +
      diff.changed.length +
      diff.licenseChanges.length +
      diff.newSuppliers.length ===
    0
  );
}

export const DIFF_FORMATS = ['text', 'json', 'markdown'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

const show = (c: DiffComponent): string =>
  `${c.name}${c.version ? `@${c.version}` : ''}${c.license ? ` (${c.license})` : ''}`;
const none = '(none)';

export function renderDiff(diff: SbomDiff, format: DiffFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ diffVersion: 1, ...diff }, null, 2)}\n`;
    case 'text':
      return renderDiffText(diff);
    case 'markdown':
      return renderDiffMarkdown(diff);
  }
}

const counts = (side: DiffSide): string =>
  `${side.subjects} ${side.subjects === 1 ? 'subject' : 'subjects'}, ${side.components} components`;

function summaryLine(diff: SbomDiff): string {
  return (
    `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ` +
    `${diff.licenseChanges.length} licence changes, ${diff.newSuppliers.length} new suppliers`
  );
}

function renderDiffText(diff: SbomDiff): string {
  const lines = [
    `SBOM diff: ${diff.old.file} (${counts(diff.old)}) → ${diff.new.file} (${counts(diff.new)})`,
  ];
  lines.push(summaryLine(diff));
  const section = (title: string, items: readonly string[]): void => {
    if (items.length === 0) return;
    lines.push('', `${title}:`, ...items.map((i) => `  ${i}`));
  };
  section(
    'Added',
    diff.added.map((c) => `+ ${show(c)}`),
  );
  section(
    'Removed',
    diff.removed.map((c) => `- ${show(c)}`),
  );
  section(
    'Changed',
    diff.changed.map((c) => `~ ${c.name} ${c.from ?? '?'} → ${c.to ?? '?'}`),
  );
  section(
    'Licence changes',
    diff.licenseChanges.map(
      (c) => `~ ${c.name}${c.version ? `@${c.version}` : ''}: ${c.from ?? none} → ${c.to ?? none}`,
    ),
  );
  section(
    'New suppliers',
    diff.newSuppliers.map((s) => `+ ${s}`),
  );
  // Every field comes from the SBOMs: escaped, so none can add a line (a forged `PASS`).
  return joinTextLines(lines);
}

/** Escapes text for a Markdown table cell (the report renderer's escaping). */
function cell(text: string | undefined): string {
  if (text === undefined || text === '') return '';
  return escapeMarkdown(text);
}

function renderDiffMarkdown(diff: SbomDiff): string {
  const out = [
    '## SBOM diff',
    '',
    `${cell(diff.old.file)} (${counts(diff.old)}) → ${cell(diff.new.file)} (${counts(diff.new)}): ${summaryLine(diff)}.`,
  ];
  const table = (
    title: string,
    header: readonly string[],
    rows: readonly (readonly (string | undefined)[])[],
  ): void => {
    if (rows.length === 0) return;
    out.push(
      '',
      `### ${title} (${rows.length})`,
      '',
      `| ${header.join(' | ')} |`,
      `| ${header.map(() => '---').join(' | ')} |`,
    );
    for (const row of rows) out.push(`| ${row.map(cell).join(' | ')} |`);
  };
  table(
    'Added',
    ['Component', 'Version', 'Licence', 'Supplier'],
    diff.added.map((c) => [c.name, c.version, c.license, c.supplier]),
  );
  table(
    'Removed',
    ['Component', 'Version', 'Licence', 'Supplier'],
    diff.removed.map((c) => [c.name, c.version, c.license, c.supplier]),
  );
  table(
    'Changed',
    ['Component', 'From', 'To'],
    diff.changed.map((c) => [c.name, c.from, c.to]),
  );
  table(
    'Licence changes',
    ['Component', 'Version', 'From', 'To'],
    diff.licenseChanges.map((c) => [c.name, c.version, c.from, c.to]),
  );
  table(
    'New suppliers',
    ['Supplier'],
    diff.newSuppliers.map((s) => [s]),
  );
  return `${out.join('\n')}\n`;
}
