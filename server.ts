/**
 * The Kernel Map server: Next.js (pages, route handlers) and, on the same port, the lab terminal
 * WebSocket (upgrade requests), in one Node process. `npm start` runs this after its set-up
 * (scripts/start.mjs); `npm run dev` runs it with Next in development mode.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import next from 'next';
import { EnvError, loadEnv } from '@/lib/env';
import { CLIENT_IP_HEADER } from '@/lib/http/client-ip';
import { rejectMalformedTarget } from '@/lib/http/raw-request';

async function main() {
  let config: ReturnType<typeof loadEnv>;
  try {
    config = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(`[kernel-map] cannot start. ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const dev = process.argv.includes('--dev');
  // Next attaches its own 'upgrade' listener to the server of the first request it handles, and ends
  // every upgrade whose path matches an app route — the catch-all /api/[...path] (JSON 404) matches
  // the terminal socket's path, so the lab terminal would be hung up. Next gets a server of its own
  // that never upgrades; in development we hand it upgrades ourselves (HMR), below.
  const nextUpgradeDecoy = new EventEmitter() as unknown as Server;
  const app = next({ dev, dir: import.meta.dirname, hostname: config.HOST, port: config.PORT, httpServer: nextUpgradeDecoy });
  const handleRequest = app.getRequestHandler();
  await app.prepare();
  // Imported after Next has set up its request context: lib/auth reaches next/headers.
  const { runStartupTasks } = await import('@/lib/startup');
  await runStartupTasks(config);
  const { initLabs, getOwnLabSession, shutdownLabs } = await import('@/lib/labs');
  const { createTerminalUpgradeHandler } = await import('@/lib/terminal/server');
  const { viewerFromHeaders } = await import('@/lib/auth/viewer');
  const { originsForHost } = await import('@/lib/http');
  await initLabs(); // kills VMs a previous server left, loads the images
  const terminalUpgrade = createTerminalUpgradeHandler({
    authenticate: viewerFromHeaders,
    sessionFor: (viewer, sessionId) => getOwnLabSession(viewer.id, sessionId),
    allowedOrigins: originsForHost,
  });

  const server = createServer((req, res) => {
    // The peer address, as the rate limiter's key. Any client-sent value is overwritten.
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? 'unknown';
    const malformed = rejectMalformedTarget(req.url);
    if (malformed) {
      res.writeHead(malformed.status, malformed.headers).end(malformed.body);
      return;
    }
    void handleRequest(req, res);
  });
  const upgradeNext = dev ? app.getUpgradeHandler() : null;
  server.on('upgrade', (req, socket, head) => {
    if (terminalUpgrade(req, socket, head)) return;
    if (upgradeNext) return void upgradeNext(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  });
  server.listen(config.PORT, config.HOST, () => {
    const since = Number(process.env.KM_STARTED_AT);
    const took = Number.isFinite(since) && since > 0 ? `, ${((Date.now() - since) / 1000).toFixed(1)} s after npm start` : '';
    console.log(`[kernel-map] ready on http://localhost:${config.PORT} (database: ${config.dbProvider}${took})`);
    // npm start (scripts/start.mjs) waits for this before it checks the lab images, so the two do not
    // compete for the CPU while the server starts.
    process.send?.('ready');
  });

  const shutdown = (signal: string) => {
    console.log(`[kernel-map] ${signal}: shutting down`);
    server.close();
    void shutdownLabs();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error('[kernel-map] failed to start:', err);
  process.exit(1);
});
