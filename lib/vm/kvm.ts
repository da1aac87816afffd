import { existsSync, readFileSync } from 'node:fs';

export interface KvmProbe {
  usable: boolean;
  reason: string;
}

/**
 * Whether x86_64 guests can run under KVM here. `/dev/kvm` alone proves nothing: under a
 * paravirtual nested KVM (kvm_pvm) it exists, yet a stock kernel dies with "KVM internal error"
 * after ~40 s (notes, "KVM"). So: the device must open, the CPU must show vmx/svm, and then a
 * real boot must reach the agent and survive a busy loop (`bootCheck`, run by the caller with
 * the built image: images/build.ts boots a snapshot VM under KVM with a 45 s busy loop).
 */
export async function probeKvm(bootCheck?: () => Promise<void>): Promise<KvmProbe> {
  if (process.arch !== 'x64') return { usable: false, reason: `host is ${process.arch}` };
  if (!existsSync('/dev/kvm')) return { usable: false, reason: '/dev/kvm is missing' };
  try {
    readFileSync('/dev/kvm', { flag: 'r' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL') return { usable: false, reason: `/dev/kvm cannot be opened (${code})` };
  }
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
  if (!flags.includes('vmx') && !flags.includes('svm'))
    return { usable: false, reason: 'CPU shows no vmx/svm (paravirtual or nested KVM)' };
  if (!bootCheck) return { usable: false, reason: 'no boot check run' };
  try {
    await bootCheck();
    return { usable: true, reason: 'a KVM guest booted and ran a busy loop' };
  } catch (e) {
    return { usable: false, reason: `KVM boot failed: ${(e as Error).message}` };
  }
}
