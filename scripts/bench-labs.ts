/**
 * npm run bench:labs — lab VM performance on this machine (lib/labs/README.md, "Performance").
 *
 *   start_p50_s_<arch>  request → shell prompt seen on the console socket (QemuBackend.start
 *                       resolves after the prompt, clock sync and RNG reseed), 5 starts per arch
 *   agent_rtt_ms        exec(['true']) through the agent on an idle VM, p50 of 30
 *   echo_ms             one keystroke sent as an input frame on the terminal WebSocket (the real
 *                       lib/terminal bridge on a local HTTP server) → its echo in an output frame,
 *                       p50 of 30; the console-socket-only figure is printed beside it
 *   mem_mib             PSS of one idle session: the worse of the two arches' medians over the N
 *                       concurrent sessions (aarch64 is the larger, see README "Memory")
 * Then N sessions (BENCH_SESSIONS, default 20) are started at once, half per arch, and must all
 * reach a prompt; their idle memory and CPU give the estimate of how many idle sessions fit.
 *   health_p99_ms       then BENCH_BUSY of them (default all N) spin a CPU loop, and a plain HTTP
 *                       server in this process (nice 0, like the web server; the VMs run at
 *                       LAB_VM_NICE) is asked 200 times, 50 ms apart: p99 of request → answer.
 *                       busy_vms says how many spun. Before issue 8 (VMs at nice 0) 18 busy VMs
 *                       made the real server's health check take 1.8 s at worst.
 * Before that last line, the start as the learner meets it, on a real lab (BENCH_LAB, default
 * syscall-tax) through the real server (test/helpers/server.ts: server.ts on the production build):
 *   labs-http lab=<id> start_p50_s_x86_64=… start_p50_s_aarch64=…
 *                       a signed-in learner's `POST /api/labs/sessions` → the shell prompt arriving
 *                       over the terminal WebSocket, p50 of BENCH_HTTP_SAMPLES (default 7) per arch
 *                       after one warm-up; each session is stopped (DELETE) before the next.
 *                       BENCH_ONLY=http runs just this part.
 */

import { promises as fs, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { labSnapshotSpec, readLabs } from '@/lib/content';
import { createTerminalUpgradeHandler } from '@/lib/terminal/server';
import { ARCHES, type Arch, ensureLabImages, LAB_VM_NICE, type LabVm, QemuBackend } from '@/lib/vm';
import { Browserish, newAccount } from '../test/helpers/http';
import { startServer } from '../test/helpers/server';
import { TerminalClient } from '../test/helpers/terminal';

const N = Number(process.env.BENCH_SESSIONS ?? 20);
const root = process.cwd();
const runDir = path.join(root, '.cache/labs/run-bench');
const p50 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const id = () => `bench${process.pid}x${seq++}`;

function qemuPid(sessionId: string): number {
  return Number(readFileSync(path.join(runDir, sessionId, 'qemu.pid'), 'utf8').trim());
}
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(f[11]) + Number(f[12]);
}

/**
 * Times keystroke → echo: types one letter at a time with `type`, waits until `listen`'s callback
 * sees it come back. Used for the console socket alone and for the full WebSocket path.
 */
async function timeEchoes(
  samples: number,
  type: (ch: string) => void,
  listen: (cb: (text: string) => void) => () => void,
): Promise<number[]> {
  const out: number[] = [];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < samples; i++) {
    const ch = letters[i % letters.length] ?? 'a';
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5_000);
      const off = listen((text) => {
        if (text.includes(ch)) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
      type(ch);
    });
    out.push(performance.now() - t0);
    await sleep(20);
  }
  return out;
}

async function echoLatency(vm: LabVm, samples: number): Promise<number[]> {
  const out = await timeEchoes(
    samples,
    (ch) => vm.console.write(ch),
    (cb) => vm.console.onData((chunk) => cb(chunk.toString('latin1'))),
  );
  vm.console.write('\x15'); // ^U: clear the typed line
  return out;
}

/** Keystroke → echo through the terminal WebSocket bridge, as the browser experiences it. */
async function wsEchoLatency(vm: LabVm, arch: Arch, samples: number): Promise<number[]> {
  const sessionId = vm.id;
  const upgrade = createTerminalUpgradeHandler({
    authenticate: async () => ({ id: 'bench', email: 'bench@example.test', name: 'Bench', role: 'student' }),
    sessionFor: async () => ({
      id: sessionId,
      learnerId: 'bench',
      labId: 'hello',
      arch,
      vm,
      info: () => ({
        id: sessionId,
        learnerId: 'bench',
        labId: 'hello',
        arch,
        state: 'running',
        createdAt: Date.now(),
        expiresAt: Date.now() + 3_600_000,
        msLeft: 3_600_000,
      }),
    }),
    allowedOrigins: () => ['http://bench.local'],
  });
  const server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    if (!upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/labs/sessions/${sessionId}/terminal`, { headers: { origin: 'http://bench.local' } });
  const waiters = new Set<(data: string) => void>();
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as { t: string; data?: string };
    if (m.t === 'output' && m.data) {
      ws.send(JSON.stringify({ t: 'ack', bytes: m.data.length }));
      for (const w of waiters) w(m.data);
    }
  });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  await sleep(300); // let the replayed screen arrive first
  const out = await timeEchoes(
    samples,
    (ch) => ws.send(JSON.stringify({ t: 'input', data: ch })),
    (cb) => {
      waiters.add(cb);
      return () => waiters.delete(cb);
    },
  );
  ws.send(JSON.stringify({ t: 'input', data: '\x15' }));
  ws.close();
  server.close();
  return out;
}

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(s.length * 0.99) - 1] ?? Number.NaN;
};

/** Round trips to a plain HTTP server in this process, `n` of them 50 ms apart (ms each). */
async function healthLatency(n: number): Promise<number[]> {
  const server = http.createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/api/health`)).text();
      out.push(performance.now() - t);
      await sleep(50);
    }
  } finally {
    server.close();
  }
  return out;
}

/**
 * A real lab's start as the learner meets it: the real server, a signed-in learner, `POST
 * /api/labs/sessions`, then the terminal WebSocket until the prompt is on the screen. Returns the
 * p50 per arch in seconds and prints each sample with its split (POST answered / prompt seen).
 */
async function httpLabStart(labId: string, samples: number): Promise<Record<Arch, number>> {
  const server = await startServer({ env: { SEED_DEMO: 'false' } });
  const out = {} as Record<Arch, number>;
  try {
    const learner = new Browserish(server.url);
    const signUp = await learner.post('/api/auth/sign-up', newAccount('bench'));
    if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}: ${await signUp.text()}`);
    for (const arch of ARCHES) {
      const totals: number[] = [];
      const posts: number[] = [];
      for (let i = 0; i <= samples; i++) {
        const t = performance.now();
        const res = await learner.post('/api/labs/sessions', { labId, arch });
        if (res.status !== 201) throw new Error(`POST /api/labs/sessions answered ${res.status}: ${await res.text()}`);
        const { session } = (await res.json()) as { session: { id: string } };
        const answered = performance.now() - t;
        const term = await TerminalClient.open(server.url, session.id, { cookie: learner.cookieHeader() });
        await term.waitForText(/@kmap:[^\n]*\$ /, 60_000);
        const total = performance.now() - t;
        term.close();
        const stop = await learner.request('DELETE', `/api/labs/sessions/${session.id}`);
        if (stop.status !== 200) throw new Error(`DELETE answered ${stop.status}`);
        if (i === 0) continue; // warm-up: the first start pays for loading the route and the lab catalogue
        totals.push(total);
        posts.push(answered);
      }
      out[arch] = p50(totals) / 1000;
      console.log(
        `${labId} ${arch} over HTTP + WebSocket: start p50 ${p50(totals).toFixed(0)} ms (${totals.map((x) => x.toFixed(0)).join(', ')}); POST answered p50 ${p50(posts).toFixed(0)} ms`,
      );
    }
  } finally {
    await server.cleanup();
  }
  return out;
}

const realLab = process.env.BENCH_LAB ?? 'syscall-tax';
const httpSamples = Number(process.env.BENCH_HTTP_SAMPLES ?? 7);
const httpLine = (real: Record<Arch, number>) =>
  `labs-http lab=${realLab} start_p50_s_x86_64=${(real.x86_64 ?? Number.NaN).toFixed(2)} start_p50_s_aarch64=${(real.aarch64 ?? Number.NaN).toFixed(2)}`;

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'http') {
    // Just the real-lab start over HTTP (no machinery figures, no last line).
    console.log(httpLine(await httpLabStart(realLab, httpSamples)));
    return;
  }
  const t0 = Date.now();
  const { labs } = readLabs(path.join(root, 'labs'));
  const images = await ensureLabImages({ root, log: () => {}, labs: labs.flatMap((l) => labSnapshotSpec(l) ?? []) });
  console.log(`images ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  await fs.mkdir(runDir, { recursive: true });
  await QemuBackend.cleanOrphans(runDir);
  const backend = new QemuBackend({ images, runDir, startTimeoutMs: 180_000 });
  const startP50: Record<string, number> = {};
  let agentRtt = Number.NaN;
  let echo = Number.NaN;

  try {
    for (const arch of ARCHES) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const vm = await backend.start({ learnerId: 'bench', labId: 'hello', arch, user: 'student' }, id());
        times.push(performance.now() - t);
        if (i < 4) await vm.stop();
        else {
          await sleep(2_000);
          const rtts: number[] = [];
          for (let k = 0; k < 30; k++) {
            const t1 = performance.now();
            await vm.exec(['true']);
            rtts.push(performance.now() - t1);
          }
          const consoleEchoes = await echoLatency(vm, 30);
          const echoes = await wsEchoLatency(vm, arch, 30);
          console.log(
            `${arch}: start p50 ${p50(times).toFixed(0)} ms (${times.map((x) => x.toFixed(0)).join(', ')}); agent rtt p50 ${p50(rtts).toFixed(1)} ms; ` +
              `echo p50 ${p50(echoes).toFixed(1)} ms through the WebSocket (${p50(consoleEchoes).toFixed(1)} ms on the console socket alone)`,
          );
          if (arch === 'x86_64') {
            agentRtt = p50(rtts);
            echo = p50(echoes);
          }
          await vm.stop();
        }
      }
      startP50[arch] = p50(times) / 1000;
    }

    console.log(`starting ${N} sessions at once (${Math.ceil(N / 2)} x86_64, ${Math.floor(N / 2)} aarch64) …`);
    const tAll = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: N }, (_, i) => {
        const arch: Arch = i % 2 === 0 ? 'x86_64' : 'aarch64';
        const sid = id();
        const t = performance.now();
        return backend
          .start({ learnerId: `bench${i}`, labId: 'hello', arch, user: 'student' }, sid)
          .then((vm) => ({ vm, sid, arch, ms: performance.now() - t }));
      }),
    );
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of results) if (r.status === 'rejected') console.log(`  failed: ${(r.reason as Error).message}`);
    console.log(
      `${ok.length}/${N} reached a prompt; all ready after ${((performance.now() - tAll) / 1000).toFixed(1)} s (slowest ${(Math.max(...ok.map((o) => o.ms)) / 1000).toFixed(1)} s)`,
    );

    await sleep(10_000);
    const pids = ok.map((o) => ({ ...o, pid: qemuPid(o.sid) }));
    const ticks0 = pids.map((p) => cpuTicks(p.pid));
    const tCpu = Date.now();
    await sleep(10_000);
    const hz = 100;
    const cpuPerVm = pids.map((p, i) => (cpuTicks(p.pid) - (ticks0[i] ?? 0)) / hz / ((Date.now() - tCpu) / 1000));
    const mem = await Promise.all(pids.map(async (p) => ({ arch: p.arch, m: await p.vm.hostMemory() })));
    const pssMiB = (arch?: Arch) => p50(mem.filter((x) => !arch || x.arch === arch).map((x) => (x.m?.pssKiB ?? Number.NaN) / 1024));
    const privMiB = p50(mem.map((x) => (x.m?.privateKiB ?? Number.NaN) / 1024));
    for (const arch of ARCHES) console.log(`  idle ${arch}: PSS p50 ${pssMiB(arch).toFixed(0)} MiB`);
    const memMib = Math.max(...ARCHES.map((a) => pssMiB(a)));
    const meanPss = mem.reduce((a, x) => a + (x.m?.pssKiB ?? 0) / 1024, 0) / Math.max(1, mem.length);
    const cpu = p50(cpuPerVm);
    const availMiB = Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
    const runningPss = mem.reduce((a, x) => a + (x.m?.pssKiB ?? 0) / 1024, 0);
    const byMem = Math.floor((availMiB + runningPss - 2048) / meanPss);
    const byCpu = Math.floor((os.availableParallelism() * 0.8) / Math.max(cpu, 0.0005));
    console.log(
      `idle session: mean PSS ${meanPss.toFixed(0)} MiB over both arches, private p50 ${privMiB.toFixed(0)} MiB, CPU p50 ${(cpu * 100).toFixed(2)}% of a core`,
    );
    console.log(
      `idle capacity estimate (half x86_64, half aarch64): memory (MemAvailable + these ${ok.length} sessions' PSS − 2 GiB reserve) / mean PSS = ${byMem}; ` +
        `CPU (80% of ${os.availableParallelism()} cores) / idle CPU p50 = ${byCpu}; holds about ${Math.min(byMem, byCpu)} idle sessions ` +
        `(busy sessions take a full core each; the admission cap stays at limits.ts's formula)`,
    );
    const busy = ok.slice(0, Math.min(ok.length, Number(process.env.BENCH_BUSY ?? ok.length)));
    for (const o of busy) o.vm.console.write('while :; do :; done\r');
    await sleep(3_000);
    const health = await healthLatency(200);
    console.log(
      `web server health with ${busy.length} busy VMs (VMs at nice ${LAB_VM_NICE}): p50 ${p50(health).toFixed(1)} ms, p99 ${p99(health).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms`,
    );
    await Promise.all(ok.map((o) => o.vm.stop()));
    console.log(httpLine(await httpLabStart(realLab, httpSamples)));
    console.log(
      `labs start_p50_s_x86_64=${(startP50.x86_64 ?? Number.NaN).toFixed(2)} start_p50_s_aarch64=${(startP50.aarch64 ?? Number.NaN).toFixed(2)} agent_rtt_ms=${agentRtt.toFixed(1)} echo_ms=${echo.toFixed(1)} mem_mib=${memMib.toFixed(0)} health_p99_ms=${p99(health).toFixed(1)} busy_vms=${busy.length}`,
    );
  } finally {
    await backend.shutdown();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
