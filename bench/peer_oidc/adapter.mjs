// A PostgreSQL adapter for oidc-provider, written for the benchmark against the adapter
// interface documented at https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#adapter
// (upsert / find / findByUserCode / findByUid / consume / destroy / revokeByGrantId).
//
// One table holds every model: oidc-provider's payloads are opaque JSON to the adapter, and the
// lookups it needs are by (model, id), by grant (revocation), by user code and by session uid.
// Expired rows are invisible to find(); removing them is a job for a periodic DELETE, as the
// adapter interface has no purge call.
import pg from 'pg';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  model text NOT NULL,
  id text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
`;

// The models a grant owns (revokeByGrantId removes them all).
const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'Grant',
]);

let pool;

export function connect(connectionString, max = 10) {
  pool = new pg.Pool({ connectionString, max });
  return pool;
}

function expiresAt(expiresIn) {
  return typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
}

function withConsumed(row) {
  if (!row) return undefined;
  const payload = row.payload;
  if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
  return payload;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

export class PgAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    await pool.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload,
         grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code, uid = EXCLUDED.uid,
         expires_at = EXCLUDED.expires_at`,
      [this.model, id, payload, GRANTABLE.has(this.model) ? payload.grantId ?? null : null,
        payload.userCode ?? null, payload.uid ?? null, expiresAt(expiresIn)],
    );
  }

  async find(id) {
    const { rows } = await pool.query(
      `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND id = $2 AND ${LIVE}`,
      [this.model, id],
    );
    return withConsumed(rows[0]);
  }

  async findByUserCode(userCode) {
    const { rows } = await pool.query(
      `SELECT payload, consumed_at FROM oidc_payloads
       WHERE model = $1 AND user_code = $2 AND ${LIVE}`,
      [this.model, userCode],
    );
    return withConsumed(rows[0]);
  }

  async findByUid(uid) {
    const { rows } = await pool.query(
      `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND uid = $2 AND ${LIVE}`,
      [this.model, uid],
    );
    return withConsumed(rows[0]);
  }

  async consume(id) {
    await pool.query(
      'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2',
      [this.model, id],
    );
  }

  async destroy(id) {
    await pool.query('DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query('DELETE FROM oidc_payloads WHERE grant_id = $1', [grantId]);
  }
}
