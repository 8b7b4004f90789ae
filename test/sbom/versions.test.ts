import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  compareMavenVersions,
  compareNuGet,
  comparePep440,
  orderingFor,
  parseNuGetVersion,
  parsePep440,
} from '../../src/sbom/index.ts';

const sign = (n: number | undefined): number | undefined => (n === undefined ? undefined : Math.sign(n));

/** Each list is strictly increasing: every earlier entry sorts before every later one. */
function expectIncreasing(
  list: readonly string[],
  compare: (a: string, b: string) => number | undefined,
): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      const expected = Math.sign(i - j);
      const a = list[i] ?? '';
      const b = list[j] ?? '';
      expect(sign(compare(a, b)), `${a} vs ${b}`).toBe(expected);
    }
  }
}

const pep440 = (a: string, b: string): number | undefined => {
  const x = parsePep440(a);
  const y = parsePep440(b);
  return x && y ? comparePep440(x, y) : undefined;
};
const nuget = (a: string, b: string): number | undefined => {
  const x = parseNuGetVersion(a);
  const y = parseNuGetVersion(b);
  return x && y ? compareNuGet(x, y) : undefined;
};

describe('PyPI (PEP 440)', () => {
  it('orders the example list of PEP 440 ("Summary of permitted suffixes and relative ordering")', () => {
    expectIncreasing(
      [
        '1.dev0',
        '1.0.dev456',
        '1.0a1',
        '1.0a2.dev456',
        '1.0a12.dev456',
        '1.0a12',
        '1.0b1.dev456',
        '1.0b2',
        '1.0b2.post345.dev456',
        '1.0b2.post345',
        '1.0rc1.dev456',
        '1.0rc1',
        '1.0',
        '1.0+abc.5',
        '1.0+abc.7',
        '1.0+5',
        '1.0.post456.dev34',
        '1.0.post456',
        '1.0.15',
        '1.1.dev1',
      ],
      pep440,
    );
  });

  // Pairs that normalise to the same version (PEP 440 "Normalization").
  it.each([
    ['1.0', '1.0.0'],
    ['1.0', 'v1.0'],
    ['1.0a', '1.0a0'],
    ['1.0-alpha1', '1.0a1'],
    ['1.0.beta.2', '1.0b2'],
    ['1.0c1', '1.0rc1'],
    ['1.0pre1', '1.0rc1'],
    ['1.0-preview_1', '1.0rc1'],
    ['1.0-1', '1.0.post1'],
    ['1.0.rev1', '1.0.post1'],
    ['1.0r', '1.0.post0'],
    ['1.0-dev', '1.0.dev0'],
    ['1.0+ubuntu-1', '1.0+ubuntu.1'],
    ['0!1.0', '1.0'],
    ['1.0RC1', '1.0rc1'],
    [' 1.0 ', '1.0'],
  ])('%s == %s', (a, b) => {
    expect(pep440(a, b)).toBe(0);
  });

  it('epochs dominate and leading zeros are insignificant', () => {
    expect(pep440('1!0.1', '2024.1')).toBe(1);
    expect(pep440('1.01', '1.1')).toBe(0);
  });

  it.each(['', 'abc', '1.0-', '1..0', '1.0+', '1.0+a..b', 'v', '1.0.dev.post1'])('rejects %j', (v) => {
    expect(parsePep440(v)).toBeUndefined();
  });

  const pepVersion = fc
    .record({
      epoch: fc.option(fc.nat(2), { nil: undefined }),
      release: fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }),
      pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc'), fc.nat(3)), { nil: undefined }),
      post: fc.option(fc.nat(3), { nil: undefined }),
      dev: fc.option(fc.nat(3), { nil: undefined }),
      local: fc.option(
        fc.array(fc.oneof(fc.nat(9).map(String), fc.constantFrom('abc', 'x')), {
          minLength: 1,
          maxLength: 2,
        }),
        {
          nil: undefined,
        },
      ),
    })
    .map(
      (v) =>
        `${v.epoch === undefined ? '' : `${v.epoch}!`}${v.release.join('.')}${v.pre ? `${v.pre[0]}${v.pre[1]}` : ''}` +
        `${v.post === undefined ? '' : `.post${v.post}`}${v.dev === undefined ? '' : `.dev${v.dev}`}` +
        (v.local ? `+${v.local.join('.')}` : ''),
    );

  it('is a total order on generated versions (antisymmetric, transitive, reflexive)', () => {
    fc.assert(
      fc.property(pepVersion, pepVersion, pepVersion, (a, b, c) => {
        expect(pep440(a, a)).toBe(0);
        expect(sign(pep440(a, b))).toBe(-(sign(pep440(b, a)) ?? 0) || 0);
        const ab = pep440(a, b) ?? 0;
        const bc = pep440(b, c) ?? 0;
        if (ab <= 0 && bc <= 0) expect(pep440(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('appending .0 to the release never changes the order', () => {
    fc.assert(
      fc.property(pepVersion, pepVersion, (a, b) => {
        const padded = a.replace(/^((?:\d+!)?\d+(?:\.\d+)*)/, '$1.0');
        expect(sign(pep440(padded, b))).toBe(sign(pep440(a, b)));
      }),
    );
  });

  it('a dev release sorts before its pre-releases, which sort before the final, before post-releases', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(20), { minLength: 1, maxLength: 3 }), fc.nat(5), (release, n) => {
        const v = release.join('.');
        expectIncreasing(
          [`${v}.dev${n}`, `${v}a${n}`, `${v}b${n}`, `${v}rc${n}`, v, `${v}.post${n}`],
          pep440,
        );
      }),
      { numRuns: 50 },
    );
  });
});

describe('Maven (ComparableVersion)', () => {
  // Maven's ComparableVersionTest: VERSIONS_QUALIFIER and VERSIONS_NUMBER, each strictly increasing.
  it('orders qualifiers', () => {
    expectIncreasing(
      [
        '1-alpha2snapshot',
        '1-alpha2',
        '1-alpha-123',
        '1-beta-2',
        '1-beta123',
        '1-m2',
        '1-m11',
        '1-rc',
        '1-cr2',
        '1-rc123',
        '1-SNAPSHOT',
        '1',
        '1-sp',
        '1-sp2',
        '1-sp123',
        '1-abc',
        '1-def',
        '1-pom-1',
        '1-1-snapshot',
        '1-1',
        '1-2',
        '1-123',
      ],
      compareMavenVersions,
    );
  });

  it('orders numbers', () => {
    expectIncreasing(
      [
        '2.0',
        '2.0.a',
        '2-1',
        '2.0.2',
        '2.0.123',
        '2.1.0',
        '2.1-a',
        '2.1b',
        '2.1-c',
        '2.1-1',
        '2.1.0.1',
        '2.2',
        '2.123',
        '11.a2',
        '11.a11',
        '11.b2',
        '11.b11',
        '11.m2',
        '11.m11',
        '11',
        '11.a',
        '11b',
        '11c',
        '11m',
      ],
      compareMavenVersions,
    );
  });

  it.each([
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1.0', '1.0.0'],
    ['1', '1-0'],
    ['1', '1.0-0'],
    ['1.0', '1.0-0'],
    ['1a', '1-a'],
    ['1a', '1.0-a'],
    ['1a', '1.0.0-a'],
    ['1.0a', '1-a'],
    ['1x', '1-x'],
    ['1-a1', '1-alpha-1'],
    ['1-b1', '1-beta-1'],
    ['1-m1', '1-milestone-1'],
    ['1-ga', '1'],
    ['1-final', '1'],
    ['1-release', '1'],
    ['1-cr', '1-rc'],
    ['1-ABC', '1-abc'],
    ['2.0.0.RELEASE', '2.0.0'],
    ['2-abc', '2.0.abc'],
    ['2-abc', '2.0.0.abc'],
  ])('%s == %s', (a, b) => {
    expect(compareMavenVersions(a, b)).toBe(0);
  });

  it('treats .X as -X (MNG-7644) and compares big numbers exactly', () => {
    for (const x of ['abc', 'alpha', 'a', 'beta', 'b', 'def', 'milestone', 'm', 'RC']) {
      expect(compareMavenVersions(`1.0.0.${x}1`, `1.0.0-${x}2`)).toBe(-1);
    }
    expect(compareMavenVersions('1.0.99999999999999999999', '1.0.99999999999999999998')).toBe(1);
    expect(compareMavenVersions('1.0.9999999999', '1.0.999999999')).toBe(1);
  });

  // Versions as Maven projects write them: a dotted numeric release, then `-` suffixes
  // (qualifiers, qualifier+number, numbers). Maven's own ComparableVersion is not transitive
  // on stranger shapes ("3.sp.alpha" < "3.alpha" < "3" < "3.sp.alpha"; zeros against
  // qualifier-first versions); this port keeps Maven's exact behaviour, so the property is
  // stated over the shapes where Maven's order is total.
  const mavenVersion = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 3 }),
      fc.array(
        fc.oneof(
          fc.integer({ min: 1, max: 20 }).map(String),
          fc.constantFrom('alpha', 'beta', 'rc', 'SNAPSHOT', 'sp', 'xyz', 'm'),
          fc
            .tuple(fc.constantFrom('alpha', 'beta', 'rc', 'm', 'RC'), fc.integer({ min: 1, max: 20 }))
            .map(([q, n]) => `${q}${n}`),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([release, suffixes]) => [release.join('.'), ...suffixes].join('-'));

  it('is antisymmetric and transitive on generated versions', () => {
    fc.assert(
      fc.property(mavenVersion, mavenVersion, mavenVersion, (a, b, c) => {
        expect(compareMavenVersions(a, a)).toBe(0);
        expect(Math.sign(compareMavenVersions(a, b))).toBe(-Math.sign(compareMavenVersions(b, a)) || 0);
        if (compareMavenVersions(a, b) <= 0 && compareMavenVersions(b, c) <= 0) {
          expect(compareMavenVersions(a, c)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with numeric order on plain numeric versions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }),
        (a, b) => {
          const pad = (x: number[]) => [...x, 0, 0, 0, 0].slice(0, 4);
          const [x, y] = [pad(a), pad(b)];
          const expected = x.reduce((acc, v, i) => acc || Math.sign(v - (y[i] ?? 0)), 0);
          expect(Math.sign(compareMavenVersions(a.join('.'), b.join('.')))).toBe(expected);
        },
      ),
    );
  });
});

describe('NuGet', () => {
  it('orders releases and pre-releases (case-insensitive labels, four parts)', () => {
    expectIncreasing(
      [
        '1.0.0-alpha',
        '1.0.0-ALPHA.1',
        '1.0.0-alpha.beta',
        '1.0.0-beta',
        '1.0.0-beta.2',
        '1.0.0-beta.11',
        '1.0.0-rc.1',
        '1.0.0',
        '1.0.0.1',
        '1.0.1',
        '1.10',
      ],
      nuget,
    );
    expect(nuget('1.0', '1.0.0.0')).toBe(0);
    expect(nuget('1.0.0+build.5', '1.0.0')).toBe(0);
    expect(nuget('1.0.0-Beta', '1.0.0-beta')).toBe(0);
    expect(parseNuGetVersion('1.0.0.0.0')).toBeUndefined();
  });
});

describe('npm, Go and generic SemVer orderings', () => {
  it('uses SemVer 2.0 precedence', () => {
    const npm = orderingFor('npm');
    expect(npm?.compare('1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(npm?.compare('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
    expect(npm?.isValid('v1.0.0')).toBe(true); // node-semver's parse strips a leading v
    expect(npm?.compare('1.0', '1.0.0')).toBeUndefined();
  });

  it('Go accepts the v prefix, pseudo-versions and +incompatible', () => {
    const go = orderingFor('Go');
    expect(go?.compare('v0.0.0-20191109021931-daa7c04131f5', 'v0.0.1')).toBe(-1);
    expect(go?.compare('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
    expect(go?.compare('v1.2.3', '1.2.3')).toBe(0);
  });

  it('has no ordering for unknown ecosystems', () => {
    expect(orderingFor('crates.io')).toBeUndefined();
    expect(orderingFor('__proto__')).toBeUndefined();
  });
});
