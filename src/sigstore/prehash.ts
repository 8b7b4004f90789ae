import { KeyObject, constants, publicDecrypt } from 'node:crypto';

/**
 * Signature verification over a digest the caller already computed (the artifact was hashed in
 * one streaming pass, or only `sha256:<hex>` was given). node:crypto always hashes the message
 * itself, so ECDSA is verified here with BigInt arithmetic (FIPS 186-5 6.4.2) and RSA PKCS#1 v1.5
 * by recovering the DigestInfo (RFC 8017 8.2.2). Only public values are involved, so timing is
 * not a concern.
 */
export type PrehashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export type PrehashResult =
  | { readonly kind: 'valid' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'unsupported'; readonly reason: string };

interface Curve {
  readonly p: bigint;
  readonly n: bigint;
  readonly gx: bigint;
  readonly gy: bigint;
  readonly bits: number;
}

// SEC 2 / FIPS 186-5 D.1.2 domain parameters.
const CURVES: Readonly<Record<string, Curve>> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
};

// DER DigestInfo prefixes (RFC 8017 9.2 note 1).
const DIGEST_INFO_PREFIX: Readonly<Record<PrehashAlgorithm, string>> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** Verifies `signature` (DER for ECDSA) over the message whose `algorithm` digest is `digest`. */
export function verifyPrehashed(
  key: KeyObject,
  algorithm: PrehashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): PrehashResult {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsa(key, digest, signature);
    case 'rsa':
      return verifyRsaPkcs1(key, algorithm, digest, signature);
    default:
      return {
        kind: 'unsupported',
        reason: `a ${key.asymmetricKeyType ?? 'unknown'} key cannot verify a signature from a digest alone`,
      };
  }
}

function verifyEcdsa(key: KeyObject, digest: Uint8Array, signature: Uint8Array): PrehashResult {
  const jwk = key.export({ format: 'jwk' });
  const curve = jwk.crv === undefined ? undefined : CURVES[jwk.crv];
  if (!curve || jwk.x === undefined || jwk.y === undefined) {
    return { kind: 'unsupported', reason: `ECDSA curve ${jwk.crv ?? 'unknown'} is not supported` };
  }
  const parsed = parseDerSignature(signature);
  if (!parsed) return { kind: 'invalid' };
  const { r, s } = parsed;
  const { n } = curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return { kind: 'invalid' };
  const q = { x: fromBytes(Buffer.from(jwk.x, 'base64url')), y: fromBytes(Buffer.from(jwk.y, 'base64url')) };
  // FIPS 186-5 6.4.2 step 3: leftmost bits of the digest when it is longer than n.
  let e = fromBytes(digest);
  const excess = digest.length * 8 - curve.bits;
  if (excess > 0) e >>= BigInt(excess);
  const w = modInverse(s, n);
  const u1 = mod(e * w, n);
  const u2 = mod(r * w, n);
  const point = toAffine(curve, shamir(curve, { x: curve.gx, y: curve.gy, z: 1n }, u1, { ...q, z: 1n }, u2));
  if (point === undefined) return { kind: 'invalid' };
  return mod(point.x, n) === r ? { kind: 'valid' } : { kind: 'invalid' };
}

function verifyRsaPkcs1(
  key: KeyObject,
  algorithm: PrehashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): PrehashResult {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    // Wrong length or bad padding: the signature is not valid for this key.
    return { kind: 'invalid' };
  }
  const expected = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest]);
  return recovered.equals(expected) ? { kind: 'valid' } : { kind: 'invalid' };
}

/** Jacobian coordinates (x/z², y/z³); z = 0 is the point at infinity. */
interface Jacobian {
  readonly x: bigint;
  readonly y: bigint;
  readonly z: bigint;
}

const INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n };

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

// dbl-2001-b (a = -3, true for P-256 and P-384), https://hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-3.html
function double(curve: Curve, p1: Jacobian): Jacobian {
  if (p1.z === 0n || p1.y === 0n) return INFINITY;
  const { p } = curve;
  const delta = mod(p1.z * p1.z, p);
  const gamma = mod(p1.y * p1.y, p);
  const beta = mod(p1.x * gamma, p);
  const alpha = mod(3n * (p1.x - delta) * (p1.x + delta), p);
  const x = mod(alpha * alpha - 8n * beta, p);
  const z = mod((p1.y + p1.z) * (p1.y + p1.z) - gamma - delta, p);
  const y = mod(alpha * (4n * beta - x) - 8n * gamma * gamma, p);
  return { x, y, z };
}

// add-2007-bl
function add(curve: Curve, p1: Jacobian, p2: Jacobian): Jacobian {
  if (p1.z === 0n) return p2;
  if (p2.z === 0n) return p1;
  const { p } = curve;
  const z1z1 = mod(p1.z * p1.z, p);
  const z2z2 = mod(p2.z * p2.z, p);
  const u1 = mod(p1.x * z2z2, p);
  const u2 = mod(p2.x * z1z1, p);
  const s1 = mod(p1.y * p2.z * z2z2, p);
  const s2 = mod(p2.y * p1.z * z1z1, p);
  const h = mod(u2 - u1, p);
  const rr = mod(2n * (s2 - s1), p);
  if (h === 0n) return rr === 0n ? double(curve, p1) : INFINITY;
  const i = mod(4n * h * h, p);
  const j = mod(h * i, p);
  const v = mod(u1 * i, p);
  const x = mod(rr * rr - j - 2n * v, p);
  const y = mod(rr * (v - x) - 2n * s1 * j, p);
  const z = mod(((p1.z + p2.z) * (p1.z + p2.z) - z1z1 - z2z2) * h, p);
  return { x, y, z };
}

/** u1·G + u2·Q in one pass over the bits (Shamir's trick). */
function shamir(curve: Curve, g: Jacobian, u1: bigint, q: Jacobian, u2: bigint): Jacobian {
  const both = add(curve, g, q);
  let result = INFINITY;
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    result = double(curve, result);
    const bit = BigInt(i);
    const a = (u1 >> bit) & 1n;
    const b = (u2 >> bit) & 1n;
    if (a && b) result = add(curve, result, both);
    else if (a) result = add(curve, result, g);
    else if (b) result = add(curve, result, q);
  }
  return result;
}

function toAffine(curve: Curve, point: Jacobian): { x: bigint; y: bigint } | undefined {
  if (point.z === 0n) return undefined;
  const zInverse = modInverse(point.z, curve.p);
  const zInverse2 = mod(zInverse * zInverse, curve.p);
  return { x: mod(point.x * zInverse2, curve.p), y: mod(point.y * zInverse2 * zInverse, curve.p) };
}

function fromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in strict DER. */
function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30) return undefined;
  let offset = 1;
  const length = readLength(der, offset);
  if (!length || length.end + length.value !== der.length) return undefined;
  offset = length.end;
  const r = readInteger(der, offset);
  if (!r) return undefined;
  const s = readInteger(der, r.end);
  if (!s || s.end !== der.length) return undefined;
  return { r: r.value, s: s.value };
}

function readLength(der: Uint8Array, offset: number): { value: number; end: number } | undefined {
  const first = der[offset];
  if (first === undefined) return undefined;
  if (first < 0x80) return { value: first, end: offset + 1 };
  if (first === 0x81) {
    const value = der[offset + 1];
    return value === undefined || value < 0x80 ? undefined : { value, end: offset + 2 };
  }
  return undefined;
}

function readInteger(der: Uint8Array, offset: number): { value: bigint; end: number } | undefined {
  if (der[offset] !== 0x02) return undefined;
  const length = readLength(der, offset + 1);
  if (!length || length.value === 0 || length.end + length.value > der.length) return undefined;
  const bytes = der.subarray(length.end, length.end + length.value);
  if ((bytes[0] ?? 0) & 0x80) return undefined; // negative
  return { value: fromBytes(bytes), end: length.end + length.value };
}
