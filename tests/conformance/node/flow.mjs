// openid-client 6 against hubauth, configured by RFC 8414 discovery alone (algorithm 'oauth2')
// with the library's default client authentication (client_secret_post).
// Usage: node flow.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI SCOPE
// Prints {"authorization_url": ...}, reads the callback URL from stdin, prints the results.
import * as client from 'openid-client';
import { createInterface } from 'node:readline';

const [issuer, clientId, clientSecret, redirectUri, scope] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests], // the test server is plain http on 127.0.0.1
});

const appToken = await client.clientCredentialsGrant(config, { scope: 'oauth' });

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});
say({ authorization_url: url.href });
const callback = (await lines.next()).value;

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedState: state,
});
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const introspected = await client.tokenIntrospection(config, refreshed.access_token);
await client.tokenRevocation(config, tokens.refresh_token);
const afterRevocation = await client.tokenIntrospection(config, tokens.refresh_token);

say({
  client_credentials: { token_type: appToken.token_type, has_access_token: !!appToken.access_token },
  authorization_code: { token_type: tokens.token_type, has_refresh_token: !!tokens.refresh_token },
  refreshed: refreshed.access_token !== tokens.access_token,
  introspected: { active: introspected.active, client_id: introspected.client_id },
  after_revocation: afterRevocation,
});
process.exit(0);
