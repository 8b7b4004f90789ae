import { UsageError } from '../errors.ts';
import type { ColumnMapping } from './columns.ts';

/**
 * Named inventory presets (`--preset`): the public schema an export follows, the column names
 * to read from it, and what else it needs. Every preset's format is also read without it (the
 * header and JSON shapes are recognised); a preset makes the mapping exact and turns a file of
 * another shape into an error that names the columns or shape it expected.
 */
export const PRESET_NAMES = ['osquery', 'fleetdm', 'defender', 'intune', 'ninjaone'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface Preset {
  readonly name: PresetName;
  /** What the export is, for messages. */
  readonly source: string;
  /** The container it comes in: CSV, JSON (lines, arrays or documents), or either. */
  readonly format: 'csv' | 'json' | 'any';
  /** Columns (or JSON keys) for canonical fields; `--columns` overrides. */
  readonly columns: ColumnMapping;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  osquery: {
    name: 'osquery',
    source: 'osquery results (osqueryi --json; osqueryd snapshot, differential or batched diffResults logs)',
    format: 'json',
    columns: {},
  },
  fleetdm: {
    name: 'fleetdm',
    source: 'a FleetDM host API response (GET /api/v1/fleet/hosts/:id or /hosts/:id/software)',
    format: 'json',
    columns: {},
  },
  defender: {
    name: 'defender',
    source: 'a Microsoft Defender for Endpoint software inventory assessment export (JSON response or files)',
    format: 'json',
    columns: {
      endpoint: 'deviceId',
      hostname: 'deviceName',
      product: 'softwareName',
      version: 'softwareVersion',
      platform: 'osPlatform',
    },
  },
  intune: {
    name: 'intune',
    source: 'an Intune discovered apps export (AppInvRawData)',
    format: 'csv',
    columns: {
      endpoint: 'DeviceId',
      hostname: 'DeviceName',
      product: 'ApplicationName',
      version: 'ApplicationVersion',
      platform: 'Platform',
    },
  },
  ninjaone: {
    name: 'ninjaone',
    source: 'a NinjaOne software inventory (API v2 /queries/software results, as JSON or CSV)',
    format: 'any',
    columns: { endpoint: 'deviceId', product: 'name', version: 'version', last_seen: 'timestamp' },
  },
};

export function parsePreset(value: string): PresetName {
  const name = value.trim().toLowerCase();
  if (!(PRESET_NAMES as readonly string[]).includes(name))
    throw new UsageError(`drift: --preset must be one of ${PRESET_NAMES.join(', ')}; got '${value}'`);
  return name as PresetName;
}

/** The preset's columns with `--columns` on top. */
export function presetColumns(
  preset: PresetName | undefined,
  columns: ColumnMapping | undefined,
): ColumnMapping {
  return { ...(preset === undefined ? {} : PRESETS[preset].columns), ...(columns ?? {}) };
}
