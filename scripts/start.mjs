// `npm start`: everything a fresh Debian 12 machine needs, then the server on PORT (default 3000).
// The console gets one line per step with its time; the commands' full output goes to
// data/logs/setup.log (and the lab image build's to data/logs/labs-images.log).
import { spawn } from 'node:child_process';
import {
  checkNode,
  ensureAuthSecret,
  ensureBuild,
  ensureDependencies,
  ensureMigrated,
  ensurePrismaClients,
  rel,
  root,
  setupLog,
  startLabImagesInBackground,
} from './setup.mjs';

// When this process started (npm's own start-up before it is not counted).
const startedAt = Date.now() - Math.round(process.uptime() * 1000);
checkNode();
console.log(`Kernel Map — starting (full set-up output: ${rel(setupLog)})`);
ensureDependencies();
ensurePrismaClients();
ensureAuthSecret();
await ensureMigrated();
ensureBuild();
const labs = startLabImagesInBackground();
console.log(`  … lab VM images: checking/building in the background (progress on the Labs page; log: ${rel(labs.log)})`);
const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', KM_STARTED_AT: String(startedAt) },
});
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    labs.child.kill(sig);
    child.kill(sig);
  });
child.on('exit', (code, signal) => {
  labs.child.kill('SIGTERM');
  process.exit(code ?? (signal ? 1 : 0));
});
