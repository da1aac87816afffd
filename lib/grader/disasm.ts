/**
 * Reading compiled code: `objdump -dr` (disassembly with relocations) and `objdump -t` (symbol
 * table) of one object file, as binutils prints them for aarch64 and x86_64, and the ordering
 * analysis the memory-ordering lab grades on: which instruction each access to a named variable
 * is, and whether a barrier (or an acquire/release instruction) sits where the ARMv8 memory model
 * needs one. Pure: the host compiles and disassembles; this only reads text.
 */

export interface Relocation {
  type: string;
  /** What the relocation names: a symbol, or a section plus an addend (".bss+0x4"). */
  target: string;
}

export interface Instruction {
  address: number;
  mnemonic: string;
  operands: string;
  relocation?: Relocation;
}

export interface ObjSymbol {
  name: string;
  section: string;
  value: number;
  size: number;
}

/** `objdump -dr --no-show-raw-insn`: instructions per function, with each one's relocation. */
export function parseObjdump(text: string): Map<string, Instruction[]> {
  const fns = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const line of text.split('\n')) {
    const fn = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (fn?.[1]) {
      current = [];
      fns.set(fn[1], current);
      continue;
    }
    if (!current) continue;
    const reloc = /^\s+[0-9a-f]+: (R_\w+)\s+(\S+)/.exec(line);
    if (reloc?.[1] && reloc[2]) {
      const last = current[current.length - 1];
      if (last && !last.relocation) last.relocation = { type: reloc[1], target: reloc[2] };
      continue;
    }
    const insn = /^\s+([0-9a-f]+):\t(?:(?:[0-9a-f]{2,8} )+\s*\t)?([a-z][\w.]*)(?:\s+(.*?))?\s*$/.exec(line);
    if (insn?.[1] && insn[2])
      current.push({ address: Number.parseInt(insn[1], 16), mnemonic: insn[2], operands: (insn[3] ?? '').replace(/\s+\/\/.*$/, '') });
  }
  return fns;
}

/** `objdump -t`: data symbols with their section, value and size. */
export function parseSymbolTable(text: string): ObjSymbol[] {
  const out: ObjSymbol[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{8,16}) .{7} (\S+)\t([0-9a-f]+) +(\S+)$/.exec(line);
    if (m?.[1] && m[2] && m[3] && m[4])
      out.push({ name: m[4], section: m[2], value: Number.parseInt(m[1], 16), size: Number.parseInt(m[3], 16) });
  }
  return out;
}

/** ".bss+0x4" or "head" or "head+0x8" → the variable it lands in, or null. */
export function resolveTarget(target: string, symbols: readonly ObjSymbol[]): string | null {
  const m = /^([^+-]+)(?:([+-])0x([0-9a-f]+))?$/.exec(target);
  if (!m?.[1]) return null;
  const base = m[1];
  const addend = m[3] ? (m[2] === '-' ? -1 : 1) * Number.parseInt(m[3], 16) : 0;
  const named = symbols.find((s) => s.name === base && s.size > 0);
  if (named) return named.name;
  const inSection = symbols.find((s) => s.section === base && s.size > 0 && addend >= s.value && addend < s.value + s.size);
  return inSection?.name ?? (base.startsWith('.') ? null : base);
}

export type AccessKind = 'load' | 'store';

/** One instruction that touches memory, with the variable it touches when the analysis can tell. */
export interface Access {
  insn: Instruction;
  kind: AccessKind;
  /** The named variable, or null for memory reached through a pointer or an index (data). */
  variable: string | null;
  /** Through the stack pointer: the function's own frame, never shared. */
  stack: boolean;
  acquire: boolean;
  release: boolean;
}

export type Barrier = { insn: Instruction; orders: { storeStore: boolean; loadAny: boolean } };

export type Event = { kind: 'access'; access: Access } | { kind: 'barrier'; barrier: Barrier } | { kind: 'call'; insn: Instruction };

const regNo = (r: string): string | null => {
  const m = /^[wx](\d+)$/.exec(r.trim());
  return m?.[1] ?? (r.trim() === 'sp' || r.trim() === 'wsp' ? 'sp' : null);
};

/** dmb/dsb options: which orderings each gives (ARMv8: ST = store→store, LD = load→load and load→store). */
export function barrierOrders(option: string): { storeStore: boolean; loadAny: boolean } | null {
  const o = option.trim();
  if (/^(sy|ish|osh|nsh)$/.test(o)) return { storeStore: o !== 'nsh', loadAny: o !== 'nsh' };
  if (/^(st|ishst|oshst)$/.test(o)) return { storeStore: true, loadAny: false };
  if (/^(ld|ishld|oshld)$/.test(o)) return { storeStore: false, loadAny: true };
  return { storeStore: false, loadAny: false };
}

/**
 * The memory events of one aarch64 function in address order. Variables are recognised through
 * their relocations: a load or store that carries one (`ldr w1, [x4]` + LDST32 .bss+0x4), or one
 * whose base register was set by an `add` that carries one (the address an ldar/stlr needs).
 */
export function aarch64Events(insns: readonly Instruction[], symbols: readonly ObjSymbol[]): Event[] {
  const regs = new Map<string, string>();
  const events: Event[] = [];
  for (const insn of insns) {
    const m = insn.mnemonic;
    const ops = insn.operands.split(',').map((s) => s.trim());
    if (m === 'dmb' || m === 'dsb') {
      const orders = barrierOrders(ops[0] ?? '');
      if (orders) events.push({ kind: 'barrier', barrier: { insn, orders } });
      continue;
    }
    if (m === 'bl' || m === 'blr') {
      events.push({ kind: 'call', insn });
      for (let i = 0; i <= 18; i++) regs.delete(String(i));
      regs.delete('30');
      continue;
    }
    const mem = /\[([wx]\d+|sp)(?:,\s*#?(-?(?:0x)?[0-9a-f]+))?\](!)?/.exec(insn.operands);
    const isLoad = /^ld/.test(m) && mem !== null;
    const isStore = /^st/.test(m) && mem !== null;
    if ((isLoad || isStore) && mem?.[1]) {
      const base = regNo(mem[1]);
      let variable: string | null = null;
      if (insn.relocation && /LDST|LD_PREL/.test(insn.relocation.type)) variable = resolveTarget(insn.relocation.target, symbols);
      else if (base && regs.has(base)) variable = regs.get(base) ?? null;
      events.push({
        kind: 'access',
        access: {
          insn,
          kind: isLoad ? 'load' : 'store',
          variable,
          stack: base === 'sp',
          acquire: /^lda(r|pr|xr|xp|pur)/.test(m),
          release: /^stl(r|xr|xp|ur)/.test(m),
        },
      });
      // Loads overwrite their destination registers; writeback forms change the base.
      if (isLoad)
        for (const d of ops.slice(0, m.startsWith('ldp') || m.startsWith('ldnp') || m.startsWith('ldxp') ? 2 : 1)) {
          const r = regNo(d);
          if (r) regs.delete(r);
        }
      if (base && (mem[3] === '!' || /\],\s*#/.test(insn.operands))) regs.delete(base);
      continue;
    }
    if (/^(b|b\..*|cb.*|tb.*|ret|cmp|cmn|tst|ccmp|ccmn|nop|isb|hint|prfm)$/.test(m) || /^st/.test(m)) continue;
    const dest = regNo(ops[0] ?? '');
    if (!dest) continue;
    if (m === 'add' && insn.relocation && /ADD_ABS_LO12/.test(insn.relocation.type)) {
      const v = resolveTarget(insn.relocation.target, symbols);
      if (v) regs.set(dest, v);
      else regs.delete(dest);
    } else if (m === 'mov' && regNo(ops[1] ?? '') && regs.has(regNo(ops[1] ?? '') ?? '')) {
      regs.set(dest, regs.get(regNo(ops[1] ?? '') ?? '') ?? '');
    } else regs.delete(dest);
  }
  return events;
}

export interface OrderingFinding {
  ok: boolean;
  /** The instruction the finding is about (the store or load of the index variable). */
  at?: Instruction;
  why: string;
}

/** Index of the event of `insn` and the end of its straight-line run (the next ret or b). */
function runAfter(insns: readonly Instruction[], at: Instruction): number {
  const i = insns.indexOf(at);
  for (let j = i + 1; j < insns.length; j++) if (/^(ret|b)$/.test(insns[j]?.mnemonic ?? '')) return insns[j]?.address ?? Infinity;
  return Infinity;
}

/**
 * A publication: every store to `variable` comes after the data stores before it, ordered by a
 * store-release (stlr) or a barrier that orders stores (dmb ish / ishst / st / sy) between the
 * last data store and it; no data store follows it before the function returns.
 */
export function checkRelease(
  insns: readonly Instruction[],
  events: readonly Event[],
  variable: string,
  data: AccessKind,
): OrderingFinding[] {
  const stores = events.filter((e) => e.kind === 'access' && e.access.variable === variable && e.access.kind === 'store');
  if (stores.length === 0) return [{ ok: false, why: `no store to ${variable} in this function` }];
  const isData = (e: Event) => e.kind === 'access' && e.access.variable === null && !e.access.stack && e.access.kind === data;
  const orders = (e: Event) => e.kind === 'barrier' && (data === 'store' ? e.barrier.orders.storeStore : e.barrier.orders.loadAny);
  const what = data === 'store' ? 'writes to the slot' : 'reads of the slot';
  return stores.map((e) => {
    const s = (e as { access: Access }).access;
    const i = events.indexOf(e);
    const end = runAfter(insns, s.insn);
    const lateData = events.slice(i + 1).find((x) => isData(x) && (x as { access: Access }).access.insn.address < end);
    if (lateData)
      return {
        ok: false,
        at: s.insn,
        why: `${(lateData as { access: Access }).access.insn.mnemonic} at ${hex(lateData)} comes after the store to ${variable}: the slot is handed over before its ${what} are done`,
      };
    const before = events.slice(0, i);
    const lastData = [...before].reverse().find(isData);
    if (!lastData) return { ok: false, at: s.insn, why: `no ${what} precede the store to ${variable}` };
    if (s.release) return { ok: true, at: s.insn, why: `${s.insn.mnemonic}: a store-release — every earlier access is visible before it` };
    const fence = before.slice(before.indexOf(lastData) + 1).find(orders);
    if (fence)
      return {
        ok: true,
        at: s.insn,
        why: `${(fence as { barrier: Barrier }).barrier.insn.mnemonic} ${(fence as { barrier: Barrier }).barrier.insn.operands} between the ${what} and the plain store`,
      };
    const weak = before.slice(before.indexOf(lastData) + 1).find((x) => x.kind === 'barrier');
    return {
      ok: false,
      at: s.insn,
      why: weak
        ? `${(weak as { barrier: Barrier }).barrier.insn.mnemonic} ${(weak as { barrier: Barrier }).barrier.insn.operands} does not order ${data}s before a later store`
        : `the store to ${variable} is a plain ${s.insn.mnemonic} with nothing between it and the ${what}: ARMv8 may make it visible first`,
    };
  });
}

/**
 * An acquisition: every load of `variable` is a load-acquire (ldar/ldapr) or is followed by a
 * barrier that orders loads (dmb ish / ishld / ld / sy) before the first data load after it; no
 * data load precedes it.
 */
export function checkAcquire(events: readonly Event[], variable: string): OrderingFinding[] {
  const loads = events.filter((e) => e.kind === 'access' && e.access.variable === variable && e.access.kind === 'load');
  if (loads.length === 0) return [{ ok: false, why: `no load of ${variable} in this function` }];
  const isData = (e: Event) => e.kind === 'access' && e.access.variable === null && !e.access.stack && e.access.kind === 'load';
  return loads.map((e) => {
    const l = (e as { access: Access }).access;
    const i = events.indexOf(e);
    const early = events.slice(0, i).find(isData);
    if (early)
      return {
        ok: false,
        at: l.insn,
        why: `${(early as { access: Access }).access.insn.mnemonic} at ${hex(early)} reads the slot before ${variable} is read`,
      };
    if (l.acquire) return { ok: true, at: l.insn, why: `${l.insn.mnemonic}: a load-acquire — no later access is performed before it` };
    const after = events.slice(i + 1);
    const firstData = after.findIndex(isData);
    const window = firstData === -1 ? after : after.slice(0, firstData);
    const fence = window.find((x) => x.kind === 'barrier' && x.barrier.orders.loadAny);
    if (fence)
      return {
        ok: true,
        at: l.insn,
        why: `${(fence as { barrier: Barrier }).barrier.insn.mnemonic} ${(fence as { barrier: Barrier }).barrier.insn.operands} between the plain load and the slot's reads`,
      };
    const weak = window.find((x) => x.kind === 'barrier');
    return {
      ok: false,
      at: l.insn,
      why: weak
        ? `${(weak as { barrier: Barrier }).barrier.insn.mnemonic} ${(weak as { barrier: Barrier }).barrier.insn.operands} orders stores only: the slot's reads may still happen before this load`
        : `the load of ${variable} is a plain ${l.insn.mnemonic}: ARMv8 may perform the slot's reads before it`,
    };
  });
}

function hex(e: Event): string {
  const insn = e.kind === 'access' ? e.access.insn : e.kind === 'barrier' ? e.barrier.insn : e.insn;
  return `0x${insn.address.toString(16)}`;
}

/** One function's code as evidence lines, each access to a named variable labelled. */
export function annotate(insns: readonly Instruction[], events: readonly Event[], max = 40): string[] {
  const byInsn = new Map<Instruction, Event>();
  for (const e of events) if (e.kind === 'access') byInsn.set(e.access.insn, e);
  const lines = insns.map((insn) => {
    const e = byInsn.get(insn);
    const text = `${insn.address.toString(16).padStart(4)}: ${insn.mnemonic.padEnd(6)} ${insn.operands}`;
    if (e?.kind !== 'access') return /^(dmb|dsb)$/.test(insn.mnemonic) ? `${text.padEnd(40)} ← barrier` : text;
    const a = e.access;
    const label = a.variable ? `${a.kind} of ${a.variable}` : a.stack ? `${a.kind} (stack)` : `${a.kind} (slot or message)`;
    return `${text.padEnd(40)} ← ${label}${a.acquire ? ', acquire' : ''}${a.release ? ', release' : ''}`;
  });
  return lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more instructions`] : lines;
}

/** x86_64 code as plain evidence lines (for comparison: on x86 a release store is a plain mov). */
export function plainListing(insns: readonly Instruction[], max = 30): string[] {
  const lines = insns.map((i) => `${i.address.toString(16).padStart(4)}: ${i.mnemonic.padEnd(6)} ${i.operands.replace(/\s+#.*$/, '')}`);
  return lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more instructions`] : lines;
}
