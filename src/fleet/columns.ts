import { UsageError } from '../errors.ts';
import { CANONICAL_FIELDS, type CanonicalField } from './types.ts';

/**
 * Names inventories commonly use for each canonical field (compared after splitting camelCase
 * and PascalCase words, lower-casing and turning spaces, dots and hyphens into underscores:
 * `deviceId`, `DeviceId` and `Device ID` are all `device_id`). Used for CSV header detection
 * and for JSON keys. The first entry is the canonical name.
 */
export const COLUMN_ALIASES: Readonly<Record<CanonicalField, readonly string[]>> = {
  tenant: [
    'tenant',
    'tenant_id',
    'tenant_name',
    'customer',
    'customer_name',
    'client',
    'organization',
    'organisation',
    'org',
    'company',
    'site',
  ],
  endpoint: [
    'endpoint',
    'endpoint_id',
    'device_id',
    'host_id',
    'agent_id',
    'machine_id',
    'computer_id',
    'host_uuid',
    'uuid',
    'serial_number',
    'device_guid',
  ],
  hostname: [
    'hostname',
    'host_name',
    'host',
    'computer',
    'computer_name',
    'device_name',
    'machine_name',
    'fqdn',
    'computer_dns_name',
  ],
  product: [
    'product',
    'product_name',
    'software',
    'software_name',
    'application',
    'application_name',
    'app',
    'program',
    'package',
    'name',
    'display_name',
    'app_name',
  ],
  version: [
    'version',
    'product_version',
    'software_version',
    'app_version',
    'agent_version',
    'bundle_short_version',
    'application_version',
    'display_version',
    'installed_version',
  ],
  sha256: ['sha256', 'sha_256', 'sha256_hash', 'file_sha256', 'binary_sha256', 'hash'],
  platform: ['platform', 'os', 'os_platform', 'operating_system'],
  last_seen: [
    'last_seen',
    'lastseen',
    'last_seen_at',
    'last_seen_utc',
    'last_checkin',
    'last_check_in',
    'last_contact',
    'last_contact_time',
    'last_seen_time',
    'seen_time',
    'timestamp',
  ],
  // The server or account the agent answers to: ScreenConnect's relay host or instance id,
  // MeshCentral's server id / mesh id / server URL (from its .msh file or a custom query).
  instance: [
    'instance',
    'instance_id',
    'tool_instance',
    'server_id',
    'mesh_id',
    'mesh_server',
    'relay_host',
    'relay_server',
    'account_id',
  ],
};

export function normaliseColumnName(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s.-]+/g, '_');
}

const ALIAS_TO_FIELD = new Map<string, CanonicalField>();
for (const field of CANONICAL_FIELDS)
  for (const alias of COLUMN_ALIASES[field]) ALIAS_TO_FIELD.set(alias, field);

export function fieldForColumnName(name: string): CanonicalField | undefined {
  return ALIAS_TO_FIELD.get(normaliseColumnName(name));
}

/**
 * `--columns tenant=Customer,endpoint=DeviceId` (header names, case-insensitive) or
 * `tenant=1,endpoint=2` (1-based positions, for files without a header).
 */
export type ColumnMapping = Readonly<Partial<Record<CanonicalField, string | number>>>;

export function parseColumnMapping(text: string): ColumnMapping {
  const mapping: Partial<Record<CanonicalField, string | number>> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const equals = part.indexOf('=');
    const field = part.slice(0, equals).trim().toLowerCase().replace('-', '_');
    const column = part.slice(equals + 1).trim();
    if (equals <= 0 || column === '' || !(CANONICAL_FIELDS as readonly string[]).includes(field)) {
      throw new UsageError(
        `drift: --columns expects field=column pairs with fields from ${CANONICAL_FIELDS.join(', ')}; got '${part}'`,
      );
    }
    mapping[field as CanonicalField] = /^\d+$/.test(column) ? Number(column) : column;
  }
  return mapping;
}

export const REQUIRED_FIELDS: readonly CanonicalField[] = ['tenant', 'endpoint', 'product', 'version'];
