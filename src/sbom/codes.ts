import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by sbom/. Stable strings: never rename one, only add. */
export const SBOM_CODES = defineCodes({
  SBOM_SCHEMA_INVALID: {
    severity: 'high',
    title: 'SBOM does not validate against its schema',
    help: 'The document breaks the CycloneDX JSON Schema of its specVersion (or the SPDX 2.3 structure) at the JSON pointer shown. Fix the generator that produced it.',
  },
  SBOM_UNSUPPORTED_FORMAT: {
    severity: 'high',
    title: 'SBOM format or version not supported',
    help: 'Only CycloneDX 1.4, 1.5 and 1.6 JSON and SPDX 2.3 JSON are supported; anything else cannot be verified and fails closed.',
  },
  SBOM_DUPLICATE_REF: {
    severity: 'high',
    title: 'Duplicate bom-ref or SPDXID',
    help: 'Two elements share an identifier, so dependency and relationship edges are ambiguous. Identifiers must be unique in the document.',
  },
  SBOM_UNKNOWN_REF: {
    severity: 'medium',
    title: 'Dependency or relationship names an unknown element',
    help: 'A CycloneDX dependencies entry or an SPDX relationship refers to an identifier that no element in the document has.',
  },
  SBOM_MISSING: {
    severity: 'high',
    title: 'Pinned SBOM not found',
    help: 'The manifest pins an SBOM for this artifact but no file was found at its path, next to the artifact, or in --evidence directories.',
  },
  SBOM_UNREADABLE: {
    severity: 'high',
    title: 'SBOM cannot be read or parsed',
    help: 'The SBOM file is unreadable, too large, not UTF-8 or not well-formed JSON (duplicate keys, excessive nesting). It cannot be checked, so the check fails closed.',
  },
  SBOM_DIGEST_MISMATCH: {
    severity: 'critical',
    title: 'SBOM digest differs from the pinned sha256',
    help: 'The SBOM file is not the one pinned in the manifest: it was replaced or modified.',
  },
  SBOM_FORMAT_MISMATCH: {
    severity: 'high',
    title: 'SBOM format differs from the pinned format',
    help: 'The manifest pins a CycloneDX SBOM and an SPDX document was found, or the reverse.',
  },
  SBOM_SUBJECT_MISSING: {
    severity: 'high',
    title: 'SBOM does not name its subject',
    help: 'A CycloneDX SBOM needs metadata.component; an SPDX document needs documentDescribes (or a DESCRIBES relationship) naming one package.',
  },
  SBOM_SUBJECT_NAME_MISMATCH: {
    severity: 'high',
    title: 'SBOM subject is a different product',
    help: "The SBOM's subject name matches neither the manifest's product nor any of its aliases (case-insensitive): it describes something else.",
  },
  SBOM_SUBJECT_VERSION_MISMATCH: {
    severity: 'high',
    title: 'SBOM subject is a different version',
    help: "The SBOM's subject version differs from the release version of the artifact.",
  },
  SBOM_SUBJECT_HASH_MISMATCH: {
    severity: 'critical',
    title: 'SBOM subject hash differs from the artifact digest',
    help: 'The SBOM records a hash of its subject that does not match the artifact: the SBOM describes another build.',
  },
  SBOM_NTIA_ELEMENT_MISSING: {
    severity: 'low',
    title: 'NTIA minimum element missing',
    help: 'NTIA minimum elements: supplier, component name, version, unique identifier (purl or CPE), dependency relationships, SBOM author and timestamp.',
  },
  SBOM_NTIA_SUMMARY: {
    severity: 'info',
    title: 'NTIA minimum elements coverage',
    help: 'The share of NTIA minimum elements present across the document and its components.',
  },
  SBOM_DENIED_COMPONENT: {
    severity: 'high',
    title: 'Component denied by policy',
    help: 'A component matches a denied package (and version range) in the policy file.',
  },
  SBOM_DENIED_LICENSE: {
    severity: 'high',
    title: 'Licence denied by policy',
    help: "The component's SPDX licence expression cannot be satisfied without a licence the policy denies (or outside the allowed list).",
  },
  SBOM_LICENSE_INVALID: {
    severity: 'medium',
    title: 'Licence expression cannot be parsed',
    help: 'The licence is not a valid SPDX licence expression, so policy cannot be evaluated for it.',
  },
  SBOM_LICENSE_MISSING: {
    severity: 'low',
    title: 'Component has no licence',
    help: 'The policy requires every component to declare a licence; this one has none (or NOASSERTION).',
  },
  SBOM_VULNERABLE_COMPONENT: {
    severity: 'high',
    title: 'Component affected by a known vulnerability',
    help: 'An OSV record affects this component at this version. Upgrade to a fixed version or record an exception in the policy.',
  },
  SBOM_VULN_UNCHECKABLE: {
    severity: 'medium',
    title: 'Component cannot be checked for vulnerabilities',
    help: 'The component has no purl, no version, an ecosystem whose version ordering is not defined here, or a version that does not parse in its ecosystem; it was not silently passed.',
  },
  SBOM_OSV_INVALID: {
    severity: 'medium',
    title: 'OSV record cannot be used',
    help: 'An OSV file is malformed or one of its ranges cannot be evaluated; matches through it may be missed.',
  },
});
