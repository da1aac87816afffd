// `npm test`: all set-up, then every check CI runs — lint, typecheck, content, unit, integration
// (a real server on SQLite and, when reachable or CI=true, PostgreSQL) and browser tests, then the
// lab benchmark, the labs proof and the grader benchmark.
import {
  checkNode,
  ensureBuild,
  ensureChromium,
  ensureDependencies,
  ensureLabImages,
  ensurePrismaClients,
  rel,
  run,
  setupLog,
  step,
} from './setup.mjs';

checkNode();
console.log(`Kernel Map tests — set-up output goes to ${rel(setupLog)}`);
ensureDependencies();
ensureChromium();
ensurePrismaClients();
step('lint (biome)');
run('npm', ['run', '--silent', 'lint']);
step('import cycles');
run('npm', ['run', '--silent', 'check:cycles']);
step('typecheck (tsc)');
run('npm', ['run', '--silent', 'typecheck']);
step('content check');
run('npm', ['run', '--silent', 'content:check']);
ensureBuild();
ensureLabImages();
step('tests (vitest: unit, integration, browser)');
run('npx', ['vitest', 'run', ...process.argv.slice(2)], { env: { NEXT_TELEMETRY_DISABLED: '1' } });
step('lab benchmark (npm run bench:labs, 6 sessions at once in CI)');
run('npm', ['run', '--silent', 'bench:labs'], { env: { BENCH_SESSIONS: process.env.BENCH_SESSIONS ?? '6' } });
step('labs proof (npm run test:labs: every graded lab × arch × case)');
run('npm', ['run', '--silent', 'test:labs']);
step('grader benchmark (npm run bench:grader)');
run('npm', ['run', '--silent', 'bench:grader'], { env: { BENCH_GRADER_RUNS: process.env.BENCH_GRADER_RUNS ?? '3' } });
step('all tests passed');
