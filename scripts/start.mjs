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
const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
  cwd: root,
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', KM_STARTED_AT: String(startedAt) },
});
// The lab images are checked (or built, on a first start) once the server is up: the app is usable
// at once, and the Labs page shows the build's progress until the server picks the images up.
let labs = null;
child.on('message', (m) => {
  if (m !== 'ready' || labs) return;
  labs = startLabImagesInBackground();
  console.log(`  … lab VM images: checking/building in the background (progress on the Labs page; log: ${rel(labs.log)})`);
});
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    labs?.child.kill(sig);
    child.kill(sig);
  });
child.on('exit', (code, signal) => {
  labs?.child.kill('SIGTERM');
  process.exit(code ?? (signal ? 1 : 0));
});
