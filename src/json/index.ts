export {
  decodeUtf8,
  isJsonObject,
  parseStrictJson,
  pointerToken,
  type JsonLimits,
  type JsonValue,
  type ParsedJson,
} from './strict-json.ts';
export { readBoundedFile } from './read-bounded.ts';
export { describeJsonValue, explainSchemaError } from './schema-errors.ts';
