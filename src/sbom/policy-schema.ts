/** The JSON Schema of an `sbom check --policy` document; compiled by scripts/build-validators.ts. */
const stringArray = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['policyVersion'],
  properties: {
    $schema: { type: 'string' },
    policyVersion: { const: 1 },
    deny: {
      type: 'object',
      additionalProperties: false,
      properties: {
        components: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            anyOf: [{ required: ['purl'] }, { required: ['name'] }],
            properties: {
              purl: { type: 'string', pattern: '^pkg:' },
              name: { type: 'string', minLength: 1 },
              versions: { type: 'string', minLength: 1 },
              reason: { type: 'string' },
            },
          },
        },
        licenses: stringArray,
      },
    },
    allow: { type: 'object', additionalProperties: false, properties: { licenses: stringArray } },
    requireLicense: { type: 'boolean' },
    minimumElements: {
      type: 'object',
      additionalProperties: false,
      required: ['minimumPercent'],
      properties: { minimumPercent: { type: 'number', minimum: 0, maximum: 100 } },
    },
    vulnerabilities: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ignore: stringArray,
        defaultSeverity: { enum: ['critical', 'high', 'medium', 'low'] },
        uncheckableSeverity: { enum: ['critical', 'high', 'medium', 'low', 'info'] },
      },
    },
  },
} as const;
