/** A package URL (https://github.com/package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`. */
export interface PackageUrl {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: Readonly<Record<string, string>>;
  readonly subpath?: string;
}

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed percent-escape makes the whole purl invalid; the caller reports it.
    return undefined;
  }
}

const cache = new Map<string, PackageUrl | undefined>();
const CACHE_ENTRIES = 500_000; // bounded: cleared when full

/**
 * Parses a purl; undefined when it is not one (no `pkg:` scheme, no type or name, bad escapes).
 * Results are cached (diff and policy parse the same purls) and frozen.
 */
export function parsePurl(text: string): PackageUrl | undefined {
  if (cache.has(text)) return cache.get(text);
  const parsed = parsePurlUncached(text);
  if (cache.size >= CACHE_ENTRIES) cache.clear();
  cache.set(text, parsed === undefined ? undefined : Object.freeze(parsed));
  return parsed;
}

function parsePurlUncached(text: string): PackageUrl | undefined {
  if (!/^pkg:/i.test(text)) return undefined;
  let rest = text.slice(4).replace(/^\/+/, '');
  let subpath: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    subpath = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const question = rest.indexOf('?');
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const value = decode(pair.slice(equals + 1));
      if (value === undefined) return undefined;
      qualifiers[pair.slice(0, equals).toLowerCase()] = value;
    }
    rest = rest.slice(0, question);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0 && rest.indexOf('/') < at) {
    version = decode(rest.slice(at + 1));
    if (version === undefined) return undefined;
    rest = rest.slice(0, at);
  }
  const segments = rest.replace(/\/+$/, '').split('/');
  const type = segments.shift()?.toLowerCase();
  const rawName = segments.pop();
  if (!type || !/^[a-z.+-][a-z0-9.+-]*$/.test(type) || !rawName) return undefined;
  const decodedSegments = segments.filter((s) => s !== '').map(decode);
  if (decodedSegments.some((s) => s === undefined)) return undefined;
  let namespace = decodedSegments.length > 0 ? decodedSegments.join('/') : undefined;
  let name = decode(rawName);
  if (name === undefined || name === '') return undefined;
  // Type-specific normalisation from the purl spec's PURL-TYPES.
  if (['npm', 'github', 'bitbucket', 'composer'].includes(type)) {
    name = name.toLowerCase();
    namespace = namespace?.toLowerCase();
  }
  if (type === 'pypi') name = name.toLowerCase().replace(/[-_.]+/g, '-');
  return {
    type,
    ...(namespace !== undefined ? { namespace } : {}),
    name,
    ...(version !== undefined && version !== '' ? { version } : {}),
    qualifiers,
    ...(subpath ? { subpath } : {}),
  };
}

/** `pkg:type/namespace/name` without version, qualifiers or subpath: the identity of a package. */
export function purlPackageKey(purl: PackageUrl): string {
  return `pkg:${purl.type}/${purl.namespace ? `${purl.namespace}/` : ''}${purl.name}`;
}

/**
 * The name OSV uses for the package in its ecosystem: npm `@scope/name`, Maven
 * `group:artifact`, Go the module path, PyPI the normalised name, NuGet the id.
 */
export function osvPackageName(purl: PackageUrl): string {
  switch (purl.type) {
    case 'maven':
      return purl.namespace ? `${purl.namespace}:${purl.name}` : purl.name;
    case 'npm':
    case 'golang':
    default:
      return purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
  }
}
