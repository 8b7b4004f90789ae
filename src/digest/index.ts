export {
  BINDING_ALGORITHMS,
  DIGEST_ALGORITHMS,
  DIGEST_HEX_LENGTH,
  digestsEqual,
  isDigestAlgorithm,
  isDigestHex,
  parseDigestReference,
  type DigestAlgorithm,
} from './algorithms.ts';
export { MultiHash, hashFile, type Digests, type HashOptions, type HashResult } from './multi-hash.ts';
