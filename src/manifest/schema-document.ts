import { manifestSchema } from './schema.ts';
import { trustRootSchema } from './document-schemas.ts';
import { stripNullable } from './validate-json.ts';

/** The editor-facing JSON Schema text (manifests/schema/manifest.schema.json), ajv-only keywords removed. */
export function manifestSchemaDocument(): string {
  return `${JSON.stringify(stripNullable(manifestSchema), null, 2)}\n`;
}

/** manifests/schema/trust-root.schema.json: the trust root (keys/trust.json), from the same typed schema the loader uses. */
export function trustRootSchemaDocument(): string {
  const document = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/rmm-verify/rmm-verify/manifests/schema/trust-root.schema.json',
    title: 'rmm-verify trust root (keys and keyless identities allowed to sign manifests)',
    ...trustRootSchema,
  };
  return `${JSON.stringify(stripNullable(document), null, 2)}\n`;
}
