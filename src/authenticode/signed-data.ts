import {
  DerError,
  DerTag,
  children,
  contents,
  contextTag,
  encoded,
  expectTag,
  offsetOf,
  readNode,
  readOctetString,
  readOid,
  readSmallInteger,
  sequence,
  type DerNode,
} from './der.ts';
import { parseCertificate, type Certificate } from './certificate.ts';
import { Oid } from './oids.ts';

/** One attribute of a SignerInfo with its values and where it is. */
export interface Attribute {
  readonly oid: string;
  readonly values: readonly DerNode[];
  readonly offset: number;
}

export type SignerIdentifier =
  | { readonly kind: 'issuerAndSerial'; readonly issuerDer: Uint8Array; readonly serialHex: string }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyIdentifier: Uint8Array };

/** An AlgorithmIdentifier's parameters: absent, an ASN.1 NULL, or anything else. */
export type AlgorithmParameters = 'absent' | 'null' | 'other';

/** RFC 5652 5.3 SignerInfo, normalised. */
export interface SignerInfo {
  readonly offset: number;
  readonly version: number;
  /** Parameters of `digestAlgorithm` and `signatureAlgorithm` (outside the signature). */
  readonly digestParameters: AlgorithmParameters;
  readonly signatureParameters: AlgorithmParameters;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: string;
  /** The signed attributes re-encoded with a SET tag, as they are signed (RFC 5652 5.4). */
  readonly signedAttributesDer: Uint8Array | undefined;
  readonly signedAttributes: readonly Attribute[];
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly unsignedAttributes: readonly Attribute[];
}

/** RFC 5652 SignedData inside a ContentInfo, normalised. */
export interface SignedData {
  /** Offset of the ContentInfo in the file (for messages). */
  readonly offset: number;
  readonly contentType: string;
  readonly version: number;
  /** SignedData.digestAlgorithms (outside the signature: Authenticode pins its shape). */
  readonly digestAlgorithms: readonly { readonly oid: string; readonly parameters: AlgorithmParameters }[];
  /** The eContent value node ([0] EXPLICIT content), undefined when detached. */
  readonly content: DerNode | undefined;
  readonly certificates: readonly Certificate[];
  readonly signerInfos: readonly SignerInfo[];
}

/**
 * Parses a ContentInfo holding SignedData. Throws DerError naming the offset. With `x509Only`
 * (the default, for Authenticode signatures) the certificate bag may hold only X.509
 * certificates; RFC 3161 tokens may also carry the other CMS CertificateChoices (Microsoft's
 * timestamp tokens include an attribute certificate), which are skipped.
 */
export function parseSignedData(node: DerNode, options: { readonly x509Only?: boolean } = {}): SignedData {
  const [type, explicit] = sequence(node, 'ContentInfo');
  const contentType = readOid(type, 'ContentInfo contentType', node);
  if (contentType !== Oid.signedData) {
    throw new DerError(
      `ContentInfo is ${contentType}, expected signedData (${Oid.signedData})`,
      offsetOf(node),
    );
  }
  const wrapper = expectTag(explicit, contextTag(0), 'ContentInfo content [0]', node);
  const [signedDataNode] = children(wrapper);
  const fields = sequence(signedDataNode, 'SignedData', wrapper);
  const signedDataParent = signedDataNode as DerNode;
  const version = readSmallInteger(fields[0], 'SignedData version', signedDataParent);
  const digestAlgorithms = children(
    expectTag(fields[1], DerTag.set, 'digestAlgorithms', signedDataParent),
  ).map((algorithm) => readAlgorithmIdentifier(algorithm, 'digestAlgorithms', fields[1]));
  const encapsulated = sequence(fields[2], 'encapContentInfo', signedDataParent);
  const eContentType = readOid(encapsulated[0], 'eContentType', fields[2]);
  let content: DerNode | undefined;
  if (encapsulated[1]) {
    const [inner] = children(expectTag(encapsulated[1], contextTag(0), 'eContent [0]', fields[2]));
    if (!inner) throw new DerError('empty eContent', offsetOf(encapsulated[1]));
    content = inner;
  }
  let index = 3;
  const certificates: Certificate[] = [];
  if (fields[index]?.tag === contextTag(0)) {
    for (const certificate of children(fields[index] as DerNode)) {
      // Only X.509 certificates: the bag is outside the signed content, so anything else in it
      // (attribute or "other" certificates) could carry smuggled data.
      if (certificate.tag !== DerTag.sequence) {
        const standardChoice = certificate.tag >= contextTag(0) && certificate.tag <= contextTag(3);
        if (options.x509Only === false && standardChoice) continue;
        throw new DerError(
          `certificate bag holds a non-X.509 choice (tag 0x${certificate.tag.toString(16)})`,
          offsetOf(certificate),
        );
      }
      certificates.push(parseCertificate(encoded(certificate), offsetOf(certificate)));
    }
    index++;
  }
  if (fields[index]?.tag === contextTag(1)) index++; // CRLs are not used by Authenticode
  const signerSet = expectTag(fields[index], DerTag.set, 'signerInfos', signedDataParent);
  if (index + 1 !== fields.length) {
    throw new DerError('unexpected element after signerInfos', offsetOf(fields[index + 1] as DerNode));
  }
  const signerInfos = children(signerSet).map(parseSignerInfo);
  return {
    offset: offsetOf(node),
    contentType: eContentType,
    version,
    digestAlgorithms,
    content,
    certificates,
    signerInfos,
  };
}

/** Parses an RFC 5652 SignerInfo (also used for legacy countersignatures). */
export function parseSignerInfo(node: DerNode): SignerInfo {
  const fields = sequence(node, 'SignerInfo');
  const version = readSmallInteger(fields[0], 'SignerInfo version', node);
  const sidNode = fields[1];
  let sid: SignerIdentifier;
  if (sidNode?.tag === DerTag.sequence) {
    const [issuer, serial] = children(sidNode);
    sid = {
      kind: 'issuerAndSerial',
      issuerDer: encoded(expectTag(issuer, DerTag.sequence, 'issuer', sidNode)),
      serialHex: Buffer.from(contents(expectTag(serial, DerTag.integer, 'serialNumber', sidNode))).toString(
        'hex',
      ),
    };
  } else if (sidNode?.tag === contextTag(0, false)) {
    sid = { kind: 'subjectKeyIdentifier', keyIdentifier: contents(sidNode) };
  } else {
    throw new DerError('invalid SignerInfo sid', sidNode ? offsetOf(sidNode) : offsetOf(node));
  }
  const digest = readAlgorithmIdentifier(fields[2], 'digestAlgorithm', node);
  let index = 3;
  let signedAttributesDer: Uint8Array | undefined;
  let signedAttributes: Attribute[] = [];
  if (fields[index]?.tag === contextTag(0)) {
    const attributesNode = fields[index] as DerNode;
    signedAttributes = parseAttributes(attributesNode);
    // RFC 5652 5.4: the signature covers the DER of the attributes with an explicit SET OF tag.
    const copy = Buffer.from(encoded(attributesNode));
    copy[0] = DerTag.set;
    signedAttributesDer = copy;
    index++;
  }
  const signatureAlgorithm = readAlgorithmIdentifier(fields[index++], 'signatureAlgorithm', node);
  const signature = readOctetString(fields[index++], 'signature', node);
  let unsignedAttributes: Attribute[] = [];
  if (fields[index]?.tag === contextTag(1)) {
    unsignedAttributes = parseAttributes(fields[index] as DerNode);
    index++;
  }
  if (index !== fields.length) {
    throw new DerError('unexpected element in SignerInfo', offsetOf(fields[index] as DerNode));
  }
  return {
    offset: offsetOf(node),
    version,
    digestParameters: digest.parameters,
    signatureParameters: signatureAlgorithm.parameters,
    sid,
    digestAlgorithm: digest.oid,
    signedAttributesDer,
    signedAttributes,
    signatureAlgorithm: signatureAlgorithm.oid,
    signature,
    unsignedAttributes,
  };
}

function parseAttributes(node: DerNode): Attribute[] {
  return children(node).map((attribute) => {
    const [type, values] = sequence(attribute, 'Attribute');
    return {
      oid: readOid(type, 'attribute type', attribute),
      values: children(expectTag(values, DerTag.set, 'attribute values', attribute)),
      offset: offsetOf(attribute),
    };
  });
}

export function readAlgorithm(node: DerNode | undefined, what: string, parent?: DerNode): string {
  const [oid] = sequence(node, what, parent);
  return readOid(oid, what, node);
}

/** An AlgorithmIdentifier with what its parameters are (RFC 5280 4.1.1.2). */
export function readAlgorithmIdentifier(
  node: DerNode | undefined,
  what: string,
  parent?: DerNode,
): { readonly oid: string; readonly parameters: AlgorithmParameters } {
  const [oid, parameters, ...rest] = sequence(node, what, parent);
  const kind: AlgorithmParameters =
    parameters === undefined
      ? 'absent'
      : parameters.tag === DerTag.null && contents(parameters).length === 0 && rest.length === 0
        ? 'null'
        : 'other';
  return { oid: readOid(oid, what, node), parameters: kind };
}

export function attributeValue(attributes: readonly Attribute[], oid: string): DerNode | undefined {
  const matches = attributes.filter((a) => a.oid === oid);
  if (matches.length !== 1 || matches[0]?.values.length !== 1) return undefined;
  return matches[0].values[0];
}

/** Reads the first TLV of `bytes` (which may be followed by padding) with absolute offsets. */
export function readLeadingNode(bytes: Uint8Array, base: number): DerNode {
  return readNode(bytes, 0, bytes.length, base);
}
