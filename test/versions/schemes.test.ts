import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  compareDebianPart,
  parseDebianVersion,
  rpmvercmp,
  versionScheme,
  type VersionSchemeName,
} from '../../src/versions/index.ts';

/** [scheme, raw, canonical or undefined]: normalisation is the only way into a comparison. */
const NORMALISE: readonly (readonly [VersionSchemeName, string, string | undefined])[] = [
  ['semver', '7.4.2', '7.4.2'],
  ['semver', ' 7.4.2 ', '7.4.2'],
  ['semver', 'v7.4.2', '7.4.2'],
  ['semver', 'V7.4.2', '7.4.2'],
  ['semver', '7.4.2+build.77', '7.4.2'], // SemVer §10: build metadata has no precedence
  ['semver', '7.4.2 (build 1234)', '7.4.2'],
  ['semver', '7.4', '7.4.0'], // two-part compares as x.y.0
  ['semver', '7.4-rc.1', '7.4.0-rc.1'],
  ['semver', '7.4.2-rc.1', '7.4.2-rc.1'],
  ['semver', '7', undefined],
  ['semver', '7.4.2.1234', undefined], // four-part needs versionScheme: windows
  ['semver', '07.4.2', undefined],
  ['semver', 'latest', undefined],
  ['semver', 'vv7.4.2', undefined],
  ['semver', '', undefined],
  ['semver', `7.4.${'9'.repeat(300)}`, undefined], // too long to be a version
  ['windows', '7.4.2.1234', '7.4.2.1234'],
  ['windows', '7.4', '7.4.0.0'],
  ['windows', '7.4.2', '7.4.2.0'],
  ['windows', 'v7.4.2.1234', '7.4.2.1234'],
  ['windows', '7.4.2.1234 (build 1234)', '7.4.2.1234'],
  ['windows', '7.4.2 (build 1234)', '7.4.2.1234'], // a three-part version's build note is its fourth part
  ['windows', 'v7.4.2 (Build 1234)', '7.4.2.1234'],
  ['windows', '7.4.2.5 (build 1234)', '7.4.2.5'], // four parts already: the note is dropped
  ['windows', '7.4 (build 1234)', '7.4.0.0'], // which part would it be? dropped
  ['windows', '7.4.2 (build 12a)', '7.4.2.0'], // not a number: dropped
  ['semver', '7.4.2 (build 1234) ', '7.4.2'],
  ['windows', '7.04.2.01', '7.4.2.1'], // numeric parts
  ['windows', '7.4.2.1.5', undefined],
  ['windows', '7.4.2-rc.1', undefined],
  ['windows', '7.4.2.99999999999', undefined],
  ['windows', '7..2', undefined],
  ['debian', '7.4.2-1', '7.4.2-1'],
  ['debian', '1:7.4.2-1', '1:7.4.2-1'],
  ['debian', '0:7.4.2-1', '7.4.2-1'], // epoch 0 is no epoch
  ['debian', '7.4.2+dfsg-1~deb12u1', '7.4.2+dfsg-1~deb12u1'], // + is part of a Debian version
  ['debian', '7.4.2', '7.4.2'],
  ['debian', '2:1.0-2-3', '2:1.0-2-3'], // the last hyphen starts the revision
  ['debian', '7.4.2-', undefined],
  ['debian', 'a7.4.2-1', undefined],
  ['debian', '1:2:3', '1:2:3'], // colons in upstream need an epoch, which this has
  ['debian', '2:3', '2:3'],
  ['debian', 'x:1.0', undefined],
  ['debian', '1.0_1', undefined],
  ['rpm', '7.4.2-1.el9', '7.4.2-1.el9'],
  ['rpm', '1:7.4.2-1.el9', '1:7.4.2-1.el9'],
  ['rpm', '7.4.2~rc1-1', '7.4.2~rc1-1'],
  ['rpm', '7.4.2^git1-1', '7.4.2^git1-1'],
  ['rpm', 'el9-1', undefined],
  ['rpm', '7.4 2', undefined],
  // MeshAgent: the agent's commit date is its version (FileVersion, uninstall DisplayVersion).
  ['commit-date', '2025-Mar-6 21:44:07+0000', '2025-03-06T21:44:07Z'],
  ['commit-date', 'Commit: 2025-Mar-6 21:44:07+0000', '2025-03-06T21:44:07Z'], // ProductVersion
  ['commit-date', '2025-03-06 21:44:07.000+00:00', '2025-03-06T21:44:07Z'],
  ['commit-date', '2025-03-06 13:44:07-0800', '2025-03-06T21:44:07Z'], // zone applied
  ['commit-date', '2025-03-06T21:44:07Z', '2025-03-06T21:44:07Z'],
  ['commit-date', ' 2025-mar-06 21:44:07 ', '2025-03-06T21:44:07Z'], // no zone: UTC
  ['commit-date', '2025-Feb-30 21:44:07+0000', undefined], // no roll-over into March
  ['commit-date', '2025-Mrz-6 21:44:07+0000', undefined], // English months only
  ['commit-date', '2025-03-06 25:44:07Z', undefined],
  ['commit-date', '2025-03-06T21:44:07+2500', undefined],
  ['commit-date', '1.1.55', undefined],
];

/** [scheme, a, b, sign of compare(a, b)] after normalising both. */
const ORDER: readonly (readonly [VersionSchemeName, string, string, -1 | 0 | 1])[] = [
  ['semver', '7.4.2', '7.4.10', -1],
  ['semver', '7.4.2-rc.1', '7.4.2', -1],
  ['semver', 'v7.4.2', '7.4.2+build.9', 0],
  ['semver', '7.4', '7.4.0', 0],
  ['windows', '7.4.2.1234', '7.4.2.999', 1],
  ['windows', '7.4.10.0', '7.4.9.9999', 1],
  ['windows', '7.4', '7.4.0.0', 0],
  ['windows', '10.0.19045.3803', '10.0.22631.2861', -1],
  // dpkg's own cases (lib/dpkg/t/t-version.c)
  ['debian', '1.0', '1.0-0', 0],
  ['debian', '1.0~rc1', '1.0', -1], // ~ sorts before the end
  ['debian', '1.0~rc1-1', '1.0~rc2-1', -1],
  ['debian', '1.0~~', '1.0~', -1],
  ['debian', '1.0+b1', '1.0', 1],
  ['debian', '1:0.9', '2.0', 1], // the epoch wins
  ['debian', '7.4.2-1', '7.4.2-2', -1],
  ['debian', '7.4.2-10', '7.4.2-9', 1],
  ['debian', '1.0a', '1.0+', -1], // letters before other characters
  ['debian', '1.0.0', '1.0', 1],
  ['debian', '001.0', '1.0', 0],
  // rpm's own cases (tests/rpmvercmp.at)
  ['rpm', '1.0', '1.0', 0],
  ['rpm', '1.0', '2.0', -1],
  ['rpm', '2.0.1', '2.0.1a', -1],
  ['rpm', '5.5p1', '5.5p10', -1],
  ['rpm', '10xyz', '10.1xyz', -1],
  ['rpm', '1.0~rc1', '1.0', -1],
  ['rpm', '1.0~rc1', '1.0~rc2', -1],
  ['rpm', '1.0^', '1.0', 1],
  ['rpm', '1.0^git1', '1.0.1', -1],
  ['rpm', '1:1.0-1', '2.0-1', 1],
  ['rpm', '1.0-1.el9', '1.0-2.el9', -1],
  ['rpm', '1.0', '1.0-5', 0], // a bare version matches any release
  ['commit-date', '2024-Oct-2 17:05:11+0000', '2025-Mar-6 21:44:07+0000', -1],
  ['commit-date', '2025-03-06 23:44:07+02:00', '2025-Mar-6 21:44:07+0000', 0],
];

describe('version normalisation', () => {
  it.each(NORMALISE)('%s %j → %j', (scheme, raw, canonical) => {
    expect(versionScheme(scheme).normalise(raw)).toBe(canonical);
  });
});

describe('version order', () => {
  it.each(ORDER)('%s %s vs %s → %i', (scheme, a, b, sign) => {
    const s = versionScheme(scheme);
    const x = s.normalise(a);
    const y = s.normalise(b);
    expect(x, a).toBeDefined();
    expect(y, b).toBeDefined();
    expect(s.compare(x as string, y as string)).toBe(sign);
    expect(s.compare(y as string, x as string)).toBe(-sign || 0);
  });

  it('rpmvercmp and dpkg verrevcmp agree with their reference cases on raw fields', () => {
    expect(rpmvercmp('xyz10', 'xyz10.1')).toBe(-1);
    expect(rpmvercmp('xyz.4', '8')).toBe(-1); // numeric beats alphabetic
    expect(rpmvercmp('1.0aa', '1.0a')).toBe(1);
    expect(Math.sign(compareDebianPart('1.0~', '1.0'))).toBe(-1);
    expect(Math.sign(compareDebianPart('a', ''))).toBe(1);
    expect(parseDebianVersion('1:7.4.2-1')).toEqual({ epoch: 1, upstream: '7.4.2', revision: '1' });
  });
});

describe('version ranges', () => {
  const cases: readonly (readonly [VersionSchemeName, string, string, boolean])[] = [
    ['semver', '>=7.2.0', '7.4.2', true],
    ['semver', '>=7.2.0', 'v7.1.9', false],
    ['semver', '>=6.0.0 <6.1.5', '6.1.4', true],
    ['semver', '7.3', '7.3.0', true], // an exact version is normalised like any version
    ['semver', '<7.4.2', '7.4.2-rc.1', true], // pre-releases are in ranges (includePrerelease)
    ['windows', '>=7.4.0.0 <7.5', '7.4.2.1234', true],
    ['windows', '>=7.4.0.0 <7.5', '7.5.0.1', false],
    ['windows', '7.3.0.100 || 7.3.0.200', '7.3.0.200', true],
    ['windows', '>= 7.4', '7.4.0.0', true],
    ['debian', '<< 1', '0.9', false], // not a comparator of this grammar: rejected below
    ['debian', '>=1:7.4.2-1', '7.4.2-9', false], // epoch 0 < 1
    ['debian', '>=7.4.2~rc1', '7.4.2~rc2-1', true],
    ['rpm', '<7.4.2-1.el9', '7.4.2-0.el9', true],
  ];
  it.each(cases.filter(([, range]) => !range.startsWith('<<')))(
    '%s %j contains %s: %s',
    (scheme, range, version, expected) => {
      const s = versionScheme(scheme);
      const parsed = s.parseRange(range);
      expect(parsed).toBeDefined();
      expect(parsed?.satisfiedBy(s.normalise(version) as string)).toBe(expected);
    },
  );

  it('rejects what is not a range of the scheme', () => {
    expect(versionScheme('debian').parseRange('<< 1')).toBeUndefined();
    expect(versionScheme('windows').parseRange('^7.4.0')).toBeUndefined();
    expect(versionScheme('windows').parseRange('>=7.4.0-rc.1')).toBeUndefined();
    expect(versionScheme('windows').parseRange('')).toBeUndefined();
    expect(versionScheme('windows').parseRange('>=')).toBeUndefined();
    expect(versionScheme('semver').parseRange('>=banana')).toBeUndefined();
    expect(versionScheme('rpm').parseRange('x'.repeat(5000))).toBeUndefined();
  });
});

describe('properties', () => {
  const windowsVersion = fc
    .array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join('.'));
  const debianVersion = fc
    .tuple(
      fc.nat({ max: 3 }),
      fc.stringMatching(/^[0-9][0-9a-z.+~]{0,8}$/),
      fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,4}$/), { nil: undefined }),
    )
    .map(
      ([epoch, upstream, revision]) => `${epoch}:${upstream}${revision === undefined ? '' : `-${revision}`}`,
    );
  const rpmVersion = fc
    .tuple(fc.stringMatching(/^[0-9][0-9a-z.~^]{0,8}$/), fc.stringMatching(/^[0-9a-z.]{1,4}$/))
    .map(([version, release]) => `${version}-${release}`);
  const semverVersion = fc
    .tuple(
      fc.nat(50),
      fc.nat(50),
      fc.nat(50),
      fc.option(fc.stringMatching(/^[a-z]{1,3}\.[1-9]$/), { nil: undefined }),
    )
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}`);
  const schemes = [
    ['semver', semverVersion],
    ['windows', windowsVersion],
    ['debian', debianVersion],
    ['rpm', rpmVersion],
  ] as const;

  for (const [name, arbitrary] of schemes) {
    it(`${name}: normalising is idempotent and compare is a total order`, () => {
      const s = versionScheme(name);
      fc.assert(
        fc.property(arbitrary, arbitrary, arbitrary, (a, b, c) => {
          const x = s.normalise(a);
          const y = s.normalise(b);
          const z = s.normalise(c);
          if (x === undefined || y === undefined || z === undefined) return;
          expect(s.normalise(x)).toBe(x);
          expect(s.compare(x, x)).toBe(0);
          expect(s.compare(x, y)).toBe(-s.compare(y, x) || 0);
          if (s.compare(x, y) <= 0 && s.compare(y, z) <= 0) expect(s.compare(x, z)).toBeLessThanOrEqual(0);
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: spelling noise does not change a version`, () => {
      const s = versionScheme(name);
      fc.assert(
        fc.property(
          arbitrary,
          fc.constantFrom('', ' ', '  '),
          fc.constantFrom('', 'v', 'V'),
          (a, space, v) => {
            const x = s.normalise(a);
            if (x === undefined || /^[0-9]+:/.test(a)) return; // v before an epoch is not a spelling anyone uses
            // Windows reads the build note of a three-part version as its fourth part.
            const threePart = name === 'windows' && /^[0-9]+\.[0-9]+\.[0-9]+$/.test(a.trim());
            expect(s.normalise(`${space}${v}${a} (build 77)${space}`)).toBe(
              threePart ? `${x.slice(0, -2)}.77` : x,
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it('windows orders like the tuple of its parts, padded with zeros', () => {
    const s = versionScheme('windows');
    fc.assert(
      fc.property(windowsVersion, windowsVersion, (a, b) => {
        const pad = (v: string) => [...v.split('.').map(Number), 0, 0, 0].slice(0, 4);
        const x = pad(a);
        const y = pad(b);
        const i = x.findIndex((n, k) => n !== y[k]);
        const expected = i === -1 ? 0 : (x[i] as number) < (y[i] as number) ? -1 : 1;
        expect(s.compare(s.normalise(a) as string, s.normalise(b) as string)).toBe(expected);
      }),
    );
  });
});
