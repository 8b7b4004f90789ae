export {
  decodeUtf8,
  parseStrictJson,
  pointerToken,
  type JsonLimits,
  type JsonValue,
  type ParsedJson,
} from './strict-json.ts';
export { readBoundedFile } from './read-bounded.ts';
