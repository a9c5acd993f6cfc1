/**
 * A minimal OpenID Provider that signs ID tokens with one thing wrong (jose, RS256), to prove a relying party refuses
 * them: another audience, another issuer, another nonce, or an expired token. It signs in whoever arrives (no form):
 * only the token is under test.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { listenOnLoopback } from '../shared/listen-on-loopback.ts';

export type Tampering = 'none' | 'audience' | 'issuer' | 'nonce' | 'expired' | 'token_error';

export interface TamperingOidcProvider {
  issuer: string;
  /** what the next token is wrong about */
  tampering: Tampering;
  close(): Promise<void>;
}

export async function startTamperingOidcProvider(options: { clientId: string; email: string }): Promise<TamperingOidcProvider> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { nonce: string; redirectUri: string }>();
  const state: { tampering: Tampering } = { tampering: 'none' };
  let issuer = '';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/auth') {
      const code = randomBytes(16).toString('hex');
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      codes.set(code, { nonce: url.searchParams.get('nonce') ?? '', redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const grant = codes.get(new URLSearchParams(body).get('code') ?? '');
        if (!grant || state.tampering === 'token_error') return json(400, { error: 'invalid_grant', error_description: 'code refused' });
        const now = Math.floor(Date.now() / 1000);
        const t = state.tampering;
        void new SignJWT({ email: options.email, nonce: t === 'nonce' ? 'not-the-nonce-you-sent' : grant.nonce, groups: [] })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setSubject('tampered-user')
          .setIssuer(t === 'issuer' ? 'http://127.0.0.1:1/another-issuer' : issuer)
          .setAudience(t === 'audience' ? 'another-client' : options.clientId)
          .setIssuedAt(t === 'expired' ? now - 7200 : now)
          .setExpirationTime(t === 'expired' ? now - 3600 : now + 300)
          .sign(privateKey)
          .then((idToken) => json(200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken }));
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  const listener = await listenOnLoopback(server, {});
  issuer = listener.origin;
  return {
    issuer,
    get tampering() {
      return state.tampering;
    },
    set tampering(value: Tampering) {
      state.tampering = value;
    },
    close: () => listener.close(),
  };
}
