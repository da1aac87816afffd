/**
 * The check runner's vocabulary. A task's check gathers its own evidence — through an injected
 * `exec` that runs argv as root in the learner's VM (absolute paths only, so the learner's PATH
 * and files are never trusted), or through a scratch VM the host power-cuts and reads — then
 * decides pass/fail with a reason and keeps the evidence lines it decided on.
 *
 * Pure: nothing here imports Node or Prisma. lib/labs injects the VM, the clock and the nonce.
 */

export type GuestArch = 'x86_64' | 'aarch64';

export interface GuestOutput {
  exitCode: number;
  /** Terminating signal, 0 when it exited. */
  signal: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface GuestExecOptions {
  /** Default root: evidence is gathered as root. 'student' runs the learner's side of a workload. */
  user?: 'root' | 'student';
  timeoutMs?: number;
  stdin?: string;
  maxOutput?: number;
}

/** Runs argv in a guest. argv[0] must be absolute (see requireAbsolute). */
export type GuestExec = (argv: readonly string[], opts?: GuestExecOptions) => Promise<GuestOutput>;

/** A fresh VM of the same lab and arch, with a lab disk seeded from `files`, for power-cut grading. */
export interface ScratchVm {
  exec: GuestExec;
  /** SIGKILLs the VM: only what the guest made durable stays on the disk. */
  powerCut(): Promise<void>;
  /** Reads a file of the lab disk after journal replay, as a reboot would; null if absent. */
  readDiskFile(path: string): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * The host's compiler, for labs whose grading reads machine code: gcc -O2 for `arch` (a cross
 * compiler for aarch64) in a sandbox that sees only the compiler and the one source file — never
 * the host's files — with a time and memory limit.
 */
export interface HostCompileRequest {
  /** The C source, as the grader read it from the learner's VM. */
  source: string;
  arch: GuestArch;
}

export interface HostCompileResult {
  ok: boolean;
  /** The compiler's messages (paths inside the sandbox only), trimmed. */
  diagnostics: string;
  /** `objdump -dr --no-show-raw-insn` of the object file (empty when it did not compile). */
  disassembly: string;
  /** `objdump -t` of the object file. */
  symbols: string;
  /** The linked program (dynamically linked against the guest's glibc), base64; empty when it did not link. */
  programBase64: string;
  /** The exact compiler command, for the evidence. */
  command: string;
}

/** One piece of evidence: what the grader ran (or read) and the lines it decided on. */
export interface Evidence {
  source: string;
  lines: string[];
}

export interface TaskResult {
  taskId: string;
  passed: boolean;
  /** One or two sentences for the learner: what was measured and why that passes or fails. */
  reason: string;
  evidence: Evidence[];
  durationMs: number;
}

/** Task results as an attempt row stores them (JSON text); anything unreadable reads as none. */
export function parseTaskResults(text: string): TaskResult[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as TaskResult[]) : [];
  } catch {
    return [];
  }
}

export interface CheckContext {
  arch: GuestArch;
  /** The session's seed: drawn truth is derived from it (see seed.ts). */
  seed: string;
  /** The learner's answer for tasks that ask one; undefined otherwise. */
  answer?: string;
  /** Root in the learner's VM. */
  exec: GuestExec;
  /** A scratch VM for checks that cut the power; absent where the host cannot give one. */
  scratchVm?: (files: Record<string, string>) => Promise<ScratchVm>;
  /** Compiles C on the host (sandboxed); absent where the host has no compiler for it. */
  hostCompile?: (req: HostCompileRequest) => Promise<HostCompileResult>;
  /** A fresh unguessable token per call (anti-replay: a value the learner cannot have seen). */
  nonce(): string;
  /** Monotonic milliseconds, for durations. */
  now(): number;
}

/** What a task's check returns; the runner adds the task id and the duration. */
export interface Verdict {
  passed: boolean;
  reason: string;
  evidence: Evidence[];
}

export interface TaskCheck {
  id: string;
  /** Whether the task takes a typed answer (the UI shows a field). */
  answer?: { prompt: string; pattern?: string };
  check(ctx: CheckContext): Promise<Verdict>;
}

/** A grader of one lab: its tasks, and the setup it derives from the session's seed. */
export interface LabGrader {
  labId: string;
  tasks: readonly TaskCheck[];
  /**
   * Applies this session's drawn truth after the restore (or after the lab's setup), before the
   * learner gets the shell: e.g. starts the service with the seed-derived configuration.
   * Deterministic for a seed. Runs through the same guarded exec as checks.
   */
  prepareSession?(ctx: { seed: string; exec: GuestExec }): Promise<void>;
  /**
   * For answer tasks: this session's right answer and a plausible wrong one (another session's
   * truth). The proof harness (npm run test:labs) and the tamper tests use it; the UI never does.
   */
  drawnAnswers?(seed: string): Record<string, { truth: string; wrong: string }>;
}

export class GraderError extends Error {}

/** Refuses a relative argv[0]: a relative name would be looked up on a PATH the learner controls. */
export function requireAbsolute(argv: readonly string[]): void {
  if (!argv[0]?.startsWith('/')) throw new GraderError(`grader commands must use absolute paths, got ${argv[0] ?? '(empty)'}`);
}

/** Wraps an exec so every call is checked for an absolute argv[0]. */
export function guardedExec(exec: GuestExec): GuestExec {
  return async (argv, opts) => {
    requireAbsolute(argv);
    return exec(argv, opts);
  };
}

/**
 * Runs the named tasks (all when `only` is empty) one after another — checks share the VM and
 * some measure time, so they must not overlap. A check that throws fails its task with the
 * error's message instead of failing the whole Check.
 */
export async function runChecks(
  grader: LabGrader,
  ctx: Omit<CheckContext, 'answer'>,
  answers: Record<string, string | undefined> = {},
  only: readonly string[] = [],
): Promise<TaskResult[]> {
  const results: TaskResult[] = [];
  const exec = guardedExec(ctx.exec);
  for (const task of grader.tasks) {
    if (only.length > 0 && !only.includes(task.id)) continue;
    const t0 = ctx.now();
    let verdict: Verdict;
    const answer = answers[task.id];
    if (task.answer && (answer === undefined || answer.trim() === '')) {
      verdict = { passed: false, reason: 'No answer given yet.', evidence: [] };
    } else {
      try {
        verdict = await task.check({ ...ctx, exec, answer: answer?.trim() });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        verdict = { passed: false, reason: `The check could not gather its evidence: ${message}`, evidence: [] };
      }
    }
    results.push({ taskId: task.id, ...verdict, durationMs: Math.round(ctx.now() - t0) });
  }
  return results;
}

/** Throws a GraderError naming the command when it did not exit 0. */
export function expectOk(what: string, r: GuestOutput): GuestOutput {
  if (r.timedOut) throw new GraderError(`${what} timed out`);
  if (r.exitCode !== 0) throw new GraderError(`${what} exited ${r.exitCode}: ${lastLines(r.stderr || r.stdout, 3).join(' / ')}`);
  return r;
}

export function lastLines(text: string, n: number): string[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .slice(-n);
}

/**
 * A TCP port for a server the grader starts in the guest, drawn from a nonce: 20000–31999, below
 * Linux's ephemeral range (32768–60999), where the grader's own clients' sockets — hundreds per
 * load run, lingering in TIME_WAIT and FIN_WAIT afterwards — would now and then already hold it.
 */
export function graderPort(nonce: string): number {
  const n = Number.parseInt(nonce.slice(0, 6), 16);
  if (!Number.isFinite(n)) throw new GraderError(`a port needs a hex nonce (got ${JSON.stringify(nonce.slice(0, 6))})`);
  return 20000 + (n % 12000);
}
