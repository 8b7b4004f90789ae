/**
 * The README's finding-codes section, generated from the registry (`npm run docs`).
 * A test fails when README.md differs from what this produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { FINDING_CODES } from '../src/findings.ts';

const START = '<!-- section:finding-codes -->';
const END = '<!-- /section:finding-codes -->';

const DOMAINS: readonly [prefix: RegExp, title: string][] = [
  [/^MANIFEST_/, 'Manifests and trust'],
  [/^(ARTIFACT_|SIZE_|DIGEST_|NAME_|PLATFORM_|VERSION_)/, 'Artifacts (`verify`)'],
  [/^AUTHENTICODE_/, 'Authenticode'],
  [/^(SIGSTORE_|PROVENANCE_|ATTEST|BUNDLE_|GITHUB_)/, 'Sigstore, provenance and GitHub'],
  [/^(OPENPGP_|RPM_|DEB_)/, 'OpenPGP, RPM and Debian packages'],
  [/^SBOM_/, 'SBOM'],
  [/^(DRIFT_|FLEET_|INVENTORY_)/, 'Fleet drift'],
];

export function findingCodesSection(): string {
  const escape = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const entries = Object.entries(FINDING_CODES);
  const used = new Set<string>();
  const lines = [
    START,
    '## Finding codes',
    '',
    'Every finding has a stable code, a severity (`critical`, `high`, `medium`, `low`, `info`), a',
    'subject, a message and evidence. `info` findings record what passed and never fail a run.',
    'This section is generated from the registry in `src/*/codes.ts` (`npm run docs`).',
  ];
  const groups = DOMAINS.map(([prefix, title]) => {
    const codes = entries.filter(([code]) => !used.has(code) && prefix.test(code));
    for (const [code] of codes) used.add(code);
    return [title, codes] as const;
  });
  const rest = entries.filter(([code]) => !used.has(code));
  for (const [title, codes] of [...groups, ['Other', rest] as const]) {
    if (codes.length === 0) continue;
    lines.push('', `### ${title}`, '', '| code | severity | meaning |', '| --- | --- | --- |');
    for (const [code, info] of codes)
      lines.push(`| \`${code}\` | ${info.severity} | ${escape(info.title)}: ${escape(info.help)} |`);
  }
  lines.push(END);
  return lines.join('\n');
}

export function readmeWithCodes(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md has no finding-codes section markers');
  return `${readme.slice(0, start)}${findingCodesSection()}${readme.slice(end + END.length)}`;
}

if (import.meta.main) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  writeFileSync(path, readmeWithCodes(readFileSync(path, 'utf8')));
  console.log(`updated the finding codes in ${path}`);
}
