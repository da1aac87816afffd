import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostCompileRequest, HostCompileResult } from '@/lib/grader';
import { CommandError, haveCommand, run } from './proc';

/**
 * The grader's compiler: gcc -O2 for x86_64 or (cross) aarch64, then objdump, inside bubblewrap.
 * The source is a learner's, so the sandbox sees only /usr (the toolchain) and one scratch folder:
 * no /etc, /root, /work or /proc of the host — an `#include "/etc/shadow"` or `.incbin` finds
 * nothing — no network, a new PID namespace, 30 s and 1 GiB of address space. The program links
 * dynamically against glibc (the guest has the same Debian glibc), which keeps it small to copy in.
 */

const TIMEOUT_MS = 30_000;
const MAX_SOURCE = 64 * 1024;
const MAX_OUTPUT = 2 * 1024 * 1024;

const hostArch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const prefixFor = (arch: 'x86_64' | 'aarch64') => (arch === hostArch ? '' : `${arch === 'aarch64' ? 'aarch64' : 'x86_64'}-linux-gnu-`);

/** The command shown in evidence and run in the sandbox. */
export function compileCommand(arch: 'x86_64' | 'aarch64', file: string): string[] {
  const cc = `${prefixFor(arch)}gcc`;
  // Section anchors would make every static variable an offset from one anchor symbol; without
  // them, each access names its variable in a relocation the grader can follow.
  return [cc, '-O2', '-std=gnu11', '-pthread', ...(arch === 'aarch64' ? ['-fno-section-anchors'] : []), '-c', file, '-o', 'prog.o'];
}

export function hostCompileAvailable(arch: 'x86_64' | 'aarch64'): boolean {
  return haveCommand('bwrap') && haveCommand(`${prefixFor(arch)}gcc`) && haveCommand(`${prefixFor(arch)}objdump`);
}

export async function hostCompile(req: HostCompileRequest): Promise<HostCompileResult> {
  const file = 'ring.c';
  const command = compileCommand(req.arch, file);
  const shown = command.join(' ');
  const fail = (diagnostics: string): HostCompileResult => ({
    ok: false,
    diagnostics,
    disassembly: '',
    symbols: '',
    programBase64: '',
    command: shown,
  });
  if (Buffer.byteLength(req.source) > MAX_SOURCE) return fail(`the source is over ${MAX_SOURCE / 1024} KiB`);
  if (!hostCompileAvailable(req.arch))
    throw new Error(`the host cannot compile for ${req.arch}: install bubblewrap and gcc (npm run labs:images installs both)`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmap-cc-'));
  try {
    await fs.writeFile(path.join(dir, file), req.source);
    const objdump = `${prefixFor(req.arch)}objdump`;
    const cc = `${prefixFor(req.arch)}gcc`;
    const script = [
      'ulimit -v 1048576; ulimit -f 16384',
      `${command.map((a) => `'${a}'`).join(' ')} 2> cc.err || { cat cc.err; exit 10; }`,
      `${cc} -pthread -o prog prog.o 2>> cc.err || { cat cc.err; exit 11; }`,
      'cat cc.err',
      `${objdump} -dr --no-show-raw-insn prog.o > dis.txt && ${objdump} -t prog.o > syms.txt`,
    ].join('\n');
    const args = [
      '--ro-bind',
      '/usr',
      '/usr',
      '--symlink',
      'usr/lib',
      '/lib',
      '--symlink',
      'usr/lib64',
      '/lib64',
      '--symlink',
      'usr/bin',
      '/bin',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--bind',
      dir,
      '/src',
      '--chdir',
      '/src',
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin',
      '--setenv',
      'LC_ALL',
      'C',
      '/bin/sh',
      '-c',
      script,
    ];
    let diagnostics = '';
    try {
      const r = await run('bwrap', args, { timeoutMs: TIMEOUT_MS });
      diagnostics = r.stdout.toString().slice(0, MAX_OUTPUT);
    } catch (err) {
      if (err instanceof CommandError) {
        const out = await fs.readFile(path.join(dir, 'cc.err'), 'utf8').catch(() => '');
        if (err.code === null) return fail(`the compiler did not finish within ${TIMEOUT_MS / 1000} s`);
        return fail((out || err.stderr).slice(0, MAX_OUTPUT).replaceAll('/src/', ''));
      }
      throw err;
    }
    const read = (name: string) => fs.readFile(path.join(dir, name));
    const program = await read('prog');
    if (program.length > MAX_OUTPUT)
      return fail(`the program is ${(program.length / 1e6).toFixed(1)} MB: over the ${MAX_OUTPUT / 1e6} MB the grader copies`);
    return {
      ok: true,
      diagnostics: diagnostics.replaceAll('/src/', ''),
      disassembly: (await read('dis.txt')).subarray(0, MAX_OUTPUT).toString(),
      symbols: (await read('syms.txt')).subarray(0, MAX_OUTPUT).toString(),
      programBase64: program.toString('base64'),
      command: shown,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
