// node seed.mjs N OUTDIR   (env PEER_DATABASE=postgresql://...)
// Seeds the peer like hubauth and django-oauth-toolkit are seeded: two clients, 100 accounts
// with one grant each, N live access tokens and N refresh tokens spread over them. The tokens are
// the provider's own models (so their payloads are exactly what it issues), collected in memory
// and inserted in bulk; a random sample of their values goes to files for wrk.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { connect, PgAdapter, SCHEMA } from './adapter.mjs';
import { makeProvider, SCOPES } from './config.mjs';

const SAMPLE = 20000;
const BATCH = 5000;
const REDIRECT_URI = 'https://bench.example.test/callback';

const [n, outDir] = [Number(process.argv[2]), process.argv[3]];
const pool = connect(process.env.PEER_DATABASE, 2);
await pool.query(SCHEMA);

const rows = [];
class Collecting {
  constructor(model) {
    this.model = model;
    this.pg = new PgAdapter(model);
  }

  async upsert(id, payload, expiresIn) {
    rows.push([this.model, id, payload, payload.grantId ?? null, expiresIn]);
  }

  // Clients are read from the database, as the server reads them.
  async find(id) {
    return this.pg.find(id);
  }
}

async function flush() {
  if (!rows.length) return;
  const now = Date.now();
  await pool.query(
    `INSERT INTO oidc_payloads (model, id, payload, grant_id, expires_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[])`,
    [
      rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => JSON.stringify(r[2])),
      rows.map((r) => r[3]), rows.map((r) => new Date(now + r[4] * 1000)),
    ],
  );
  rows.length = 0;
}

const secret = () => randomBytes(32).toString('base64url');
const codeApp = { client_id: `bench-code-${secret().slice(0, 8)}`, client_secret: secret() };
const ccApp = { client_id: `bench-cc-${secret().slice(0, 8)}`, client_secret: secret() };
const clientAdapter = new PgAdapter('Client');
await clientAdapter.upsert(codeApp.client_id, {
  ...codeApp,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  token_endpoint_auth_method: 'client_secret_post',
  scope: SCOPES,
});
await clientAdapter.upsert(ccApp.client_id, {
  ...ccApp,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_post',
  scope: SCOPES,
});

const provider = makeProvider('http://127.0.0.1', Collecting);
const client = await provider.Client.find(codeApp.client_id);
const grants = [];
for (let i = 0; i < 100; i += 1) {
  const grant = new provider.Grant({ accountId: `bench${i}`, clientId: client.clientId });
  grant.addOIDCScope(SCOPES);
  grants.push({ accountId: grant.accountId, grantId: await grant.save() });
}
await flush();

const keep = Math.min(1, SAMPLE / Math.max(1, n));
const access = [];
const refresh = [];
for (let done = 0; done < n; done += BATCH) {
  for (let i = done; i < Math.min(n, done + BATCH); i += 1) {
    const { accountId, grantId } = grants[i % grants.length];
    const common = { client, accountId, grantId, scope: SCOPES, gty: 'authorization_code' };
    const at = await new provider.AccessToken({ ...common, expiresIn: 6 * 3600 }).save();
    const rt = await new provider.RefreshToken({ ...common, expiresIn: 6 * 3600 }).save();
    if (Math.random() < keep) {
      access.push(at);
      refresh.push(rt);
    }
  }
  await flush();
}
await pool.query('ANALYZE oidc_payloads');
await pool.end();

const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'access.txt'), `${shuffle(access).join('\n')}\n`);
writeFileSync(join(outDir, 'refresh.txt'), `${shuffle(refresh).join('\n')}\n`);
writeFileSync(join(outDir, 'creds.json'), JSON.stringify({ code_app: codeApp, cc_app: ccApp }));
console.log(`seeded ${n} access and refresh tokens`);
