/**
 * A local Sigstore instance for tests: @sigstore/mock's Fulcio (with its CT log), Rekor and
 * timestamp-authority handlers behind a real HTTP server on 127.0.0.1, and a trusted_root.json
 * built from the same keys. The mock's Fulcio does not check the OIDC token's signature: it
 * takes the subject and the Fulcio extensions (issuer, repository, ...) from the token's claims.
 */
import { generateKeyPairSync, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
  type HandlerFn,
} from '@sigstore/mock';

export interface MockSigstore {
  readonly url: string;
  /** trusted_root.json (protobuf-specs JSON) naming the mock's CA, logs and TSA. */
  readonly trustedRoot: object;
  /** Requests seen, by path. */
  readonly requests: string[];
  /** Extra routes (e.g. the GitHub Actions OIDC token endpoint). */
  route(
    method: string,
    path: string,
    handler: (
      url: URL,
      headers: Record<string, string | string[] | undefined>,
    ) => { status: number; body: string },
  ): void;
  close(): Promise<void>;
}

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** An unsigned JWT: the mock Fulcio decodes claims without checking a signature. */
export function identityToken(claims: Record<string, string>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'sigstore', ...claims })}.`;
}

export async function startMockSigstore(options: { subjectClaim?: string } = {}): Promise<MockSigstore> {
  const validFrom = new Date(Date.now() - 60_000);
  const ctlog = await initializeCTLog(keyPair());
  const ca = await initializeCA(keyPair(), ctlog);
  // A whole-second clock: @sigstore/core's GeneralizedTime parser refuses fractional seconds,
  // which the mock TSA writes whenever the clock has milliseconds (half the runs otherwise).
  // Two minutes ahead, so it falls inside the validity of certificates issued during a test.
  const tsa = await initializeTSA(keyPair(), new Date(Math.ceil(Date.now() / 1000) * 1000 + 120_000));
  const requests: string[] = [];
  const extra = new Map<string, Parameters<MockSigstore['route']>[2]>();
  const handlers = new Map<string, HandlerFn>([
    [
      'POST /api/v2/signingCert',
      fulcioHandler(ca, { strict: true, subjectClaim: options.subjectClaim ?? 'sub' }).fn,
    ],
    ['POST /api/v1/timestamp', tsaHandler(tsa).fn],
  ]);
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const key = `${request.method ?? ''} ${url.pathname}`;
      requests.push(key);
      const own = extra.get(key);
      if (own) {
        const { status, body } = own(url, request.headers);
        response.writeHead(status, { 'content-type': 'application/json' }).end(body);
        return;
      }
      const handler = handlers.get(key);
      if (!handler) {
        response.writeHead(404).end();
        return;
      }
      handler(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response: body, contentType }) => {
          response.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
          response.end(
            typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          );
        },
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Rekor's log entries name the log's URL, known only once the server listens.
  const tlog = await initializeTLog(url, keyPair());
  handlers.set('POST /api/v1/log/entries', rekorHandler(tlog).fn);

  const b64 = (bytes: ArrayBufferView | Buffer) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const start = validFrom.toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(tlog.publicKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(ctlog.publicKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
        uri: url,
        certChain: {
          certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }],
        },
        validFor: { start },
      },
    ],
  };
  return {
    url,
    trustedRoot,
    requests,
    route(method, path, handler) {
      extra.set(`${method} ${path}`, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
