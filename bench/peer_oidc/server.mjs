// node server.mjs PORT WORKERS   (env PEER_DATABASE=postgresql://...)
// N worker processes (node:cluster) share the port, as hubauth's and DOT's workers do.
import cluster from 'node:cluster';
import http from 'node:http';

import { connect } from './adapter.mjs';
import { makeProvider } from './config.mjs';

const [port, workers] = process.argv.slice(2).map(Number);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (_worker, code) => {
    console.error(`oidc-provider worker exited (${code})`);
    process.exit(1);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers)) w.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  connect(process.env.PEER_DATABASE, 10);
  const provider = makeProvider(`http://127.0.0.1:${port}`);
  http.createServer(provider.callback()).listen(port, '127.0.0.1');
}
