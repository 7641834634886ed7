// The v1 OAuth lifecycle with HubSpot's official Node client (@hubspot/api-client), pointed at
// hubauth by basePath. Driven by tests/test_hubspot_node_client.py, which passes the install in
// the environment and checks the JSON printed on stdout.
"use strict";

const { Client } = require(
  require.resolve("@hubspot/api-client", { paths: [process.env.HUBSPOT_CLIENT_DIR] })
);

const env = process.env;

async function failure(call) {
  try {
    await call();
  } catch (err) {
    return { code: err.code, body: err.body };
  }
  return null;
}

async function main() {
  const oauth = new Client({ basePath: env.HUBAUTH_URL, numberOfApiCallRetries: 0 }).oauth;
  const tokens = await oauth.tokensApi.create(
    "authorization_code", env.CODE, env.REDIRECT_URI, env.CLIENT_ID, env.CLIENT_SECRET
  );
  const refreshed = await oauth.tokensApi.create(
    "refresh_token", undefined, undefined, env.CLIENT_ID, env.CLIENT_SECRET, tokens.refreshToken
  );
  const accessInfo = await oauth.accessTokensApi.get(refreshed.accessToken);
  const refreshInfo = await oauth.refreshTokensApi.get(tokens.refreshToken);
  const badRefresh = await failure(() =>
    oauth.tokensApi.create(
      "refresh_token", undefined, undefined, env.CLIENT_ID, env.CLIENT_SECRET,
      "na1-0000-0000-0000-0000-000000000000"
    )
  );
  await oauth.refreshTokensApi.archive(tokens.refreshToken);
  const afterArchive = await failure(() => oauth.refreshTokensApi.get(tokens.refreshToken));
  const version = require(
    require.resolve("@hubspot/api-client/package.json", { paths: [env.HUBSPOT_CLIENT_DIR] })
  ).version;
  process.stdout.write(
    JSON.stringify({ version, tokens, refreshed, accessInfo, refreshInfo, badRefresh, afterArchive })
  );
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err.body || null)}\n`);
  process.exit(1);
});
