/**
 * The essential structure of an SPDX 2.3 JSON document (SPDX specification 2.3, clauses 6–11),
 * written for this project as a draft-07 JSON Schema: required fields, types, identifier
 * syntax, enumerations of checksum algorithms, external reference categories and relationship
 * types. Not a copy of the official schema (no npm package ships it); unknown fields are
 * allowed, as SPDX tools commonly add annotations.
 */
const spdxId = { type: 'string', pattern: '^SPDXRef-[A-Za-z0-9.\\-]+$' } as const;
const elementReference = {
  type: 'string',
  pattern: '^(?:(?:DocumentRef-[A-Za-z0-9.\\-]+:)?SPDXRef-[A-Za-z0-9.\\-]+|NONE|NOASSERTION)$',
} as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;

const checksum = {
  type: 'object',
  required: ['algorithm', 'checksumValue'],
  properties: {
    algorithm: {
      enum: [
        'SHA1',
        'SHA224',
        'SHA256',
        'SHA384',
        'SHA512',
        'SHA3-256',
        'SHA3-384',
        'SHA3-512',
        'BLAKE2b-256',
        'BLAKE2b-384',
        'BLAKE2b-512',
        'BLAKE3',
        'MD2',
        'MD4',
        'MD5',
        'MD6',
        'ADLER32',
      ],
    },
    checksumValue: { type: 'string', pattern: '^[0-9a-fA-F]+$' },
  },
} as const;

const RELATIONSHIP_TYPES = [
  'DESCRIBES',
  'DESCRIBED_BY',
  'CONTAINS',
  'CONTAINED_BY',
  'DEPENDS_ON',
  'DEPENDENCY_OF',
  'DEPENDENCY_MANIFEST_OF',
  'BUILD_DEPENDENCY_OF',
  'DEV_DEPENDENCY_OF',
  'OPTIONAL_DEPENDENCY_OF',
  'PROVIDED_DEPENDENCY_OF',
  'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF',
  'EXAMPLE_OF',
  'GENERATES',
  'GENERATED_FROM',
  'ANCESTOR_OF',
  'DESCENDANT_OF',
  'VARIANT_OF',
  'DISTRIBUTION_ARTIFACT',
  'PATCH_FOR',
  'PATCH_APPLIED',
  'COPY_OF',
  'FILE_ADDED',
  'FILE_DELETED',
  'FILE_MODIFIED',
  'EXPANDED_FROM_ARCHIVE',
  'DYNAMIC_LINK',
  'STATIC_LINK',
  'DATA_FILE_OF',
  'TEST_CASE_OF',
  'BUILD_TOOL_OF',
  'DEV_TOOL_OF',
  'TEST_OF',
  'TEST_TOOL_OF',
  'DOCUMENTATION_OF',
  'OPTIONAL_COMPONENT_OF',
  'METAFILE_OF',
  'PACKAGE_OF',
  'AMENDS',
  'PREREQUISITE_FOR',
  'HAS_PREREQUISITE',
  'REQUIREMENT_DESCRIPTION_FOR',
  'SPECIFICATION_FOR',
  'OTHER',
] as const;

/** Relationship types that express a dependency edge (used for NTIA and the dependency graph). */
export const SPDX_DEPENDENCY_RELATIONSHIPS: ReadonlySet<string> = new Set([
  'CONTAINS',
  'CONTAINED_BY',
  'DEPENDS_ON',
  'DEPENDENCY_OF',
  'BUILD_DEPENDENCY_OF',
  'DEV_DEPENDENCY_OF',
  'OPTIONAL_DEPENDENCY_OF',
  'PROVIDED_DEPENDENCY_OF',
  'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF',
  'DYNAMIC_LINK',
  'STATIC_LINK',
  'PACKAGE_OF',
]);

export const SPDX_23_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:rmm-verify:spdx-2.3-essential',
  type: 'object',
  required: ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo'],
  properties: {
    spdxVersion: { const: 'SPDX-2.3' },
    dataLicense: { const: 'CC0-1.0' },
    SPDXID: { const: 'SPDXRef-DOCUMENT' },
    name: nonEmpty,
    documentNamespace: { type: 'string', format: 'uri' },
    comment: { type: 'string' },
    externalDocumentRefs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['externalDocumentId', 'spdxDocument', 'checksum'],
        properties: {
          externalDocumentId: { type: 'string', pattern: '^DocumentRef-[A-Za-z0-9.\\-]+$' },
          spdxDocument: { type: 'string', format: 'uri' },
          checksum,
        },
      },
    },
    creationInfo: {
      type: 'object',
      required: ['created', 'creators'],
      properties: {
        created: { type: 'string', format: 'date-time' },
        creators: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^(?:Person|Organization|Tool): *\\S' },
        },
        licenseListVersion: { type: 'string' },
        comment: { type: 'string' },
      },
    },
    documentDescribes: { type: 'array', items: elementReference },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'name', 'downloadLocation'],
        properties: {
          SPDXID: spdxId,
          name: nonEmpty,
          versionInfo: { type: 'string' },
          supplier: { type: 'string', pattern: '^(?:(?:Person|Organization): *\\S.*|NOASSERTION)$' },
          originator: { type: 'string', pattern: '^(?:(?:Person|Organization): *\\S.*|NOASSERTION)$' },
          downloadLocation: nonEmpty,
          filesAnalyzed: { type: 'boolean' },
          checksums: { type: 'array', items: checksum },
          licenseConcluded: { type: 'string' },
          licenseDeclared: { type: 'string' },
          licenseInfoFromFiles: { type: 'array', items: { type: 'string' } },
          copyrightText: { type: 'string' },
          primaryPackagePurpose: {
            enum: [
              'APPLICATION',
              'FRAMEWORK',
              'LIBRARY',
              'CONTAINER',
              'OPERATING-SYSTEM',
              'DEVICE',
              'FIRMWARE',
              'SOURCE',
              'ARCHIVE',
              'FILE',
              'INSTALL',
              'OTHER',
            ],
          },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceType', 'referenceLocator'],
              properties: {
                referenceCategory: {
                  enum: [
                    'SECURITY',
                    'PACKAGE-MANAGER',
                    'PACKAGE_MANAGER',
                    'PERSISTENT-ID',
                    'PERSISTENT_ID',
                    'OTHER',
                  ],
                },
                referenceType: nonEmpty,
                referenceLocator: nonEmpty,
              },
            },
          },
          hasFiles: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'fileName'],
        properties: {
          SPDXID: spdxId,
          fileName: nonEmpty,
          checksums: { type: 'array', items: checksum },
          licenseConcluded: { type: 'string' },
        },
      },
    },
    snippets: {
      type: 'array',
      items: { type: 'object', required: ['SPDXID'], properties: { SPDXID: spdxId } },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relationshipType', 'relatedSpdxElement'],
        properties: {
          spdxElementId: elementReference,
          relationshipType: { enum: RELATIONSHIP_TYPES },
          relatedSpdxElement: elementReference,
          comment: { type: 'string' },
        },
      },
    },
    hasExtractedLicensingInfos: {
      type: 'array',
      items: {
        type: 'object',
        required: ['licenseId'],
        properties: { licenseId: { type: 'string', pattern: '^LicenseRef-[A-Za-z0-9.\\-]+$' } },
      },
    },
  },
} as const;
