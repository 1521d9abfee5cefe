import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { certificateAuthorityIds, type Pki } from '../pki/types';

const caId = z.enum(certificateAuthorityIds);
const issuingCaId = caId.exclude(['root']);

/**
 * Public PKI files for relying parties: each CA's certificate and each issuing CA's CRL, at the address
 * the certificates' CRL distribution points name. The root revokes nothing it has issued, so it has no CRL.
 */
export function pkiRoutes(pki: Pki): Router {
  const router = Router();
  const caCertificate: RequestHandler = async (req, res, next) => {
    const id = caId.safeParse(req.params.caId);
    if (!id.success) return next();
    try {
      const { der } = await pki.caCertificate(id.data);
      res.type('application/pkix-cert').set('Cache-Control', 'public, max-age=3600').send(der);
    } catch (error) {
      next(error);
    }
  };
  const crl: RequestHandler = async (req, res, next) => {
    const id = issuingCaId.safeParse(req.params.caId);
    if (!id.success) return next();
    try {
      const der = await pki.crl(id.data);
      res.type('application/pkix-crl').set('Cache-Control', 'public, max-age=300').send(der);
    } catch (error) {
      next(error);
    }
  };
  router.get('/pki/:caId.crt', caCertificate);
  router.get('/pki/:caId.crl', crl);
  router.get(/^\/pki\//, (_req, res) => {
    res.status(404).type('text/plain; charset=utf-8').send('Not found');
  });
  return router;
}
