import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PkiFixture, pkiFixture } from '../pki/test-fixtures';
import { bufferSource, x509 } from '../pki/x509';
import { pkiRoutes } from './pki-routes';

let fixture: PkiFixture;
let server: ReturnType<ReturnType<typeof express>['listen']>;
let baseUrl: string;

beforeAll(async () => {
  fixture = await pkiFixture();
  const app = express();
  app.use(pkiRoutes(fixture.pki));
  app.use((_req, res) => {
    res.status(418).send('fell through');
  });
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fixture.db.close();
});

describe('PKI routes', () => {
  it("serves each CA's certificate as application/pkix-cert", async () => {
    for (const id of ['root', 'person-hsa-id-3', 'card-transport']) {
      const response = await fetch(`${baseUrl}/pki/${id}.crt`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pkix-cert');
      const body = new Uint8Array(await response.arrayBuffer());
      expect(Buffer.from(body).equals((await fixture.pki.caCertificate(id as 'root')).der)).toBe(true);
    }
  });

  it("serves an issuing CA's CRL signed by that CA as application/pkix-crl", async () => {
    const response = await fetch(`${baseUrl}/pki/person-id-mobile.crl`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    const crl = new x509.X509Crl(bufferSource(new Uint8Array(await response.arrayBuffer())));
    const ca = new x509.X509Certificate((await fixture.pki.caCertificate('person-id-mobile')).pem);
    expect(await crl.verify({ publicKey: ca })).toBe(true);
  });

  it('answers 404 for unknown CAs, the root CRL and other files under /pki', async () => {
    for (const path of ['/pki/nobody.crl', '/pki/nobody.crt', '/pki/root.crl', '/pki/root.pem', '/pki/']) {
      expect((await fetch(`${baseUrl}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${baseUrl}/elsewhere`)).status).toBe(418);
  });
});
