import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Runs host tools (apt-get, dpkg, readelf, mkfs.ext4, debugfs…) from argument arrays and
 * collects their output. No shell is involved anywhere in lib/labs.
 */

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(' ')} failed (exit ${code}): ${stderr.trim().slice(-2000)}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  cwd?: string;
  input?: string | Buffer;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  /** Write stdout to this file descriptor instead of collecting it. */
  stdoutFd?: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', opts.stdoutFd ?? 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      if (err.length < 1_000_000) err += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ok = opts.okCodes ?? [0];
      if (code !== null && ok.includes(code)) resolve({ code, stdout: Buffer.concat(out), stderr: err });
      else reject(new CommandError(command, args, code, err));
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** stdout of a successful command as text. */
export async function runText(command: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(command, args, opts)).stdout.toString();
}

/** True when `command` is on PATH. */
export function haveCommand(command: string): boolean {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
