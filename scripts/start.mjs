// `npm start`: everything a fresh Debian 12 machine needs, then the server on PORT (default 3000).
import { spawn } from 'node:child_process';
import {
  checkNode,
  ensureAuthSecret,
  ensureBuild,
  ensureDependencies,
  ensureLabImages,
  ensureMigrated,
  ensurePrismaClients,
  root,
  step,
} from './setup.mjs';

checkNode();
ensureDependencies();
ensurePrismaClients();
ensureAuthSecret();
ensureMigrated();
ensureBuild();
ensureLabImages({ required: false });
step('starting the server');
const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
