import {
  type CheckContext,
  type Evidence,
  expectOk,
  GraderError,
  type GuestExec,
  type HostCompileResult,
  type LabGrader,
  lastLines,
  type Verdict,
} from '../check';
import {
  aarch64Events,
  annotate,
  checkAcquire,
  checkRelease,
  type Event,
  type OrderingFinding,
  parseObjdump,
  parseSymbolTable,
  plainListing,
} from '../disasm';
import { shieldedExec } from '../shield';

/**
 * Memory ordering on ARM64 (labs/memory-ordering). ~/ring.c passes messages from a producer
 * thread to a consumer thread through a single-producer, single-consumer ring; it was written for
 * x86_64 and orders its accesses with compiler barriers only. ARMv8 may make the `head` store
 * visible before the slot's contents, and perform the slot's reads before the `head` load or
 * after the `tail` store. QEMU emulating ARM64 on an x86 host runs the guest on the host's
 * stronger ordering, so the program's output cannot show the bug here: the grader reads the code.
 *
 * Each Check reads ~/ring.c from the learner's VM (only that file), compiles it on the host with
 * gcc -O2 for aarch64 (a sandbox that sees nothing but the compiler and the file), and reads the
 * machine code of ring_push and ring_pop: a store-release or an ordering barrier where the ARMv8
 * model needs one. It also builds the program for the learner's VM, runs that build there with a
 * message count and a seed drawn for the Check, and compares the checksum with its own.
 */

export const SOURCE = '/home/student/ring.c';
const GRADER_DIR = '/run/kmap-grader';
const MAX_SOURCE = 64 * 1024;

export interface RingAnalysis {
  publish: OrderingFinding[];
  consumeAcquire: OrderingFinding[];
  consumeRelease: OrderingFinding[];
  /** The producer's read of `tail` (informational: a control dependency orders it on hardware). */
  producerTail: OrderingFinding[];
  listing: { push: string[]; pop: string[] };
  /** Why the code could not be analysed (a function missing or calling out), or null. */
  problem: string | null;
}

/** What the aarch64 code of ring_push and ring_pop does with head, tail and the slots. */
export function analyseRing(disassembly: string, symbolTable: string): RingAnalysis {
  const fns = parseObjdump(disassembly);
  const symbols = parseSymbolTable(symbolTable);
  const empty: RingAnalysis = {
    publish: [],
    consumeAcquire: [],
    consumeRelease: [],
    producerTail: [],
    listing: { push: [], pop: [] },
    problem: null,
  };
  const push = fns.get('ring_push');
  const pop = fns.get('ring_pop');
  if (!push || !pop)
    return { ...empty, problem: `ring.c must keep the functions ring_push and ring_pop (found ${[...fns.keys()].join(', ') || 'none'})` };
  for (const v of ['head', 'tail', 'slots'])
    if (!symbols.some((s) => s.name === v)) return { ...empty, problem: `ring.c must keep the variable ${v}: the grader follows it` };
  const pushEvents = aarch64Events(push, symbols);
  const popEvents = aarch64Events(pop, symbols);
  const listing = { push: annotate(push, pushEvents), pop: annotate(pop, popEvents) };
  const call = [...pushEvents, ...popEvents].find((e) => e.kind === 'call');
  if (call?.kind === 'call')
    return {
      ...empty,
      listing,
      problem: `ring_push and ring_pop must do their own loads and stores (found ${call.insn.mnemonic} ${call.insn.operands}): the grader reads these two functions only — use static inline helpers or the __atomic builtins`,
    };
  return {
    publish: checkRelease(push, pushEvents, 'head', 'store'),
    consumeAcquire: checkAcquire(popEvents, 'head'),
    consumeRelease: checkRelease(pop, popEvents, 'tail', 'load'),
    producerTail: producerTailNote(pushEvents),
    listing,
    problem: null,
  };
}

/** The producer's read of tail: never failed — a control dependency orders the slot's writes after it on ARMv8. */
function producerTailNote(events: readonly Event[]): OrderingFinding[] {
  return events.flatMap((e) =>
    e.kind === 'access' && e.access.variable === 'tail' && e.access.kind === 'load'
      ? [
          e.access.acquire
            ? { ok: true, at: e.access.insn, why: `${e.access.insn.mnemonic}: the producer reads tail with acquire, as C11 asks` }
            : {
                ok: true,
                at: e.access.insn,
                why: `a plain ${e.access.insn.mnemonic} of tail: the slot's writes depend on it through the full-ring test, and ARMv8 never makes a store visible before the branch it depends on resolves (Linux's circ_buf relies on this); C11 asks for an acquire here, which costs one ldar`,
              },
        ]
      : [],
  );
}

/** The checksum ring prints: splitmix64 values from `seed`, summed mod 2^64, as 16 hex digits. */
export function expectedSum(messages: number, seed: bigint): string {
  const M = 0xffffffffffffffffn;
  let state = seed & M;
  let sum = 0n;
  for (let i = 0; i < messages; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & M;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    z = z ^ (z >> 31n);
    sum = (sum + z) & M;
  }
  return sum.toString(16).padStart(16, '0');
}

export function parseRingLine(text: string): { messages: number; bad: number; sum: string } | null {
  const m = /^ring messages=(\d+) bad=(\d+) sum=([0-9a-f]{16})$/m.exec(text);
  return m ? { messages: Number(m[1]), bad: Number(m[2]), sum: m[3] ?? '' } : null;
}

interface Build {
  source: string;
  aarch64: HostCompileResult;
  native: HostCompileResult;
  analysis: RingAnalysis | null;
  run: { ok: boolean; line: string; why: string; evidence: Evidence };
}

/** One build and run per Check: both tasks read it (keyed by the Check's exec). */
const builds = new WeakMap<GuestExec, Promise<Build>>();

async function readSource(exec: GuestExec): Promise<string | null> {
  const r = await exec(['/bin/cat', SOURCE], { maxOutput: MAX_SOURCE + 1 });
  if (r.exitCode !== 0) return null;
  if (r.stdout.length > MAX_SOURCE) throw new GraderError(`${SOURCE} is over ${MAX_SOURCE / 1024} KiB`);
  return r.stdout;
}

async function runBuild(ctx: CheckContext, program: HostCompileResult): Promise<Build['run']> {
  const nonce = ctx.nonce();
  const messages = 20_000 + (Number.parseInt(nonce.slice(0, 4), 16) % 20_000);
  const seed = BigInt(`0x${nonce.slice(4, 16)}`);
  const bin = `${GRADER_DIR}/ring-${nonce}`;
  const source = `the grader's own ${ctx.arch} build, run as the learner: ring ${messages} ${seed}`;
  if (!program.ok || !program.programBase64)
    return { ok: false, line: '', why: 'it did not build', evidence: { source, lines: ['(not run: no build)'] } };
  expectOk('mkdir', await ctx.exec(['/bin/mkdir', '-p', '-m', '711', GRADER_DIR]));
  expectOk(
    'copy the build into the VM',
    await ctx.exec(['/bin/sh', '-c', '/bin/busybox base64 -d > "$1" && /bin/chmod 755 "$1"', 'sh', bin], { stdin: program.programBase64 }),
  );
  try {
    const r = await shieldedExec(ctx.exec, nonce, [bin, String(messages), String(seed)], { user: 'student', timeoutMs: 60_000 });
    const got = parseRingLine(r.stdout);
    const want = expectedSum(messages, seed);
    const lines = [...lastLines(r.stdout, 2), ...lastLines(r.stderr, 2), `expected: messages=${messages} bad=0 sum=${want}`];
    const evidence = { source, lines };
    if (r.timedOut) return { ok: false, line: '', why: 'it did not finish within 60 s', evidence };
    if (!got)
      return {
        ok: false,
        line: '',
        why: `it printed no result line (exit ${r.exitCode}${r.signal ? `, signal ${r.signal}` : ''})`,
        evidence,
      };
    if (got.messages !== messages || got.bad !== 0 || got.sum !== want)
      return {
        ok: false,
        line: r.stdout.trim(),
        why: `it delivered ${got.messages} messages, ${got.bad} damaged, checksum ${got.sum} (expected ${want})`,
        evidence,
      };
    return { ok: true, line: r.stdout.trim(), why: `all ${messages} messages arrived in order and intact`, evidence };
  } finally {
    await ctx.exec(['/bin/rm', '-f', bin]);
  }
}

function buildOnce(ctx: CheckContext): Promise<Build> {
  const known = builds.get(ctx.exec);
  if (known) return known;
  const p = (async (): Promise<Build> => {
    if (!ctx.hostCompile) throw new GraderError('this host has no compiler for the grader');
    const source = await readSource(ctx.exec);
    if (source === null)
      throw new GraderError(`${SOURCE} is missing: copy the original back: cp /opt/labs/memory-ordering/src/ring.c ~/ring.c`);
    const aarch64 = await ctx.hostCompile({ source, arch: 'aarch64' });
    const native = ctx.arch === 'aarch64' ? aarch64 : await ctx.hostCompile({ source, arch: ctx.arch });
    const analysis = aarch64.ok ? analyseRing(aarch64.disassembly, aarch64.symbols) : null;
    const run = await runBuild(ctx, native);
    return { source, aarch64, native, analysis, run };
  })();
  builds.set(ctx.exec, p);
  return p;
}

function compileFailure(b: Build): Verdict | null {
  if (b.aarch64.ok && b.native.ok) return null;
  const failed = b.aarch64.ok ? b.native : b.aarch64;
  return {
    passed: false,
    reason: 'ring.c does not compile with gcc -O2: fix the first error below (~/build compiles the same file with tcc in the VM).',
    evidence: [{ source: failed.command, lines: lastLines(failed.diagnostics, 12) }],
  };
}

const show = (f: OrderingFinding) => `${f.ok ? '✓' : '✗'} ${f.at ? `0x${f.at.address.toString(16)} ${f.at.mnemonic}: ` : ''}${f.why}`;

async function judge(
  ctx: CheckContext,
  fn: 'ring_push' | 'ring_pop',
  pick: (a: RingAnalysis) => { findings: OrderingFinding[]; notes: OrderingFinding[] },
  passText: string,
  failText: string,
): Promise<Verdict> {
  const b = await buildOnce(ctx);
  const bad = compileFailure(b);
  if (bad) return bad;
  const a = b.analysis as RingAnalysis;
  const listing = fn === 'ring_push' ? a.listing.push : a.listing.pop;
  const evidence: Evidence[] = [];
  if (a.problem) return { passed: false, reason: a.problem, evidence: [{ source: `${b.aarch64.command}; objdump -dr`, lines: listing }] };
  const { findings, notes } = pick(a);
  evidence.push({ source: `aarch64 code of ${fn} (${b.aarch64.command})`, lines: listing });
  evidence.push({ source: `what the ARMv8 memory model needs in ${fn}`, lines: [...findings, ...notes].map(show) });
  if (ctx.arch === 'x86_64') {
    const x86 = parseObjdump(b.native.disassembly).get(fn);
    if (x86)
      evidence.push({ source: `x86_64 code of ${fn}, for comparison: plain movs, which x86 keeps in order`, lines: plainListing(x86) });
  }
  evidence.push(b.run.evidence);
  const wrong = findings.find((f) => !f.ok);
  if (wrong) return { passed: false, reason: `${failText} ${wrong.why}.`, evidence };
  if (!b.run.ok) return { passed: false, reason: `The ordering is right, but the program no longer works: ${b.run.why}.`, evidence };
  return { passed: true, reason: `${passText} In the grader's own run, ${b.run.why}.`, evidence };
}

export const memoryOrdering: LabGrader = {
  labId: 'memory-ordering',
  tasks: [
    {
      id: 'publish',
      check: (ctx) =>
        judge(
          ctx,
          'ring_push',
          (a) => ({ findings: a.publish, notes: a.producerTail }),
          'On ARM64, ring_push makes the message visible before the head that publishes it.',
          'On ARM64, a consumer could see the new head before the message:',
        ),
    },
    {
      id: 'consume',
      check: (ctx) =>
        judge(
          ctx,
          'ring_pop',
          (a) => ({ findings: [...a.consumeAcquire, ...a.consumeRelease], notes: [] }),
          'On ARM64, ring_pop reads a slot only after it sees it published, and hands it back only after reading it.',
          'On ARM64, ring_pop could read a stale slot or hand it back too early:',
        ),
    },
  ],
};
