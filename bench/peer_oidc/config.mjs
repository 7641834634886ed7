// The provider's configuration, shared by the server and the seeding script. Production
// settings per oidc-provider's docs (https://github.com/panva/node-oidc-provider/blob/main/docs/README.md):
// a persistent adapter, own signing keys and cookie keys, devInteractions off, findAccount and
// the TTLs set. Tokens are opaque (its default), like hubauth's and django-oauth-toolkit's.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

import { PgAdapter } from './adapter.mjs';

export const SCOPES = 'offline_access read write';

export function makeProvider(issuer, adapter = PgAdapter) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256' };
  return new Provider(issuer, {
    adapter,
    jwks: { keys: [jwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', ...SCOPES.split(' ')],
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // A client introspects its own tokens only (hubauth's v3 rule for an app's tokens).
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Accounts live outside the provider; the benchmark's accounts are the seeded ids.
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // HubSpot's (and hubauth's default) behaviour: the refresh token stays the same.
    rotateRefreshToken: false,
    ttl: {
      AccessToken: 1800,
      ClientCredentials: 1800,
      AuthorizationCode: 600,
      RefreshToken: 180 * 24 * 3600,
      Grant: 365 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      IdToken: 3600,
    },
  });
}
