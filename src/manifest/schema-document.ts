import { manifestSchema } from './schema.ts';
import { stripNullable } from './validate-json.ts';

/** The editor-facing JSON Schema text (manifests/schema/manifest.schema.json), ajv-only keywords removed. */
export function manifestSchemaDocument(): string {
  return `${JSON.stringify(stripNullable(manifestSchema), null, 2)}\n`;
}
