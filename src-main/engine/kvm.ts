// KVM: kvm_s390_handle_b2 and every variant of handle_pqap (interception.md §3), driven by the
// kernel profile's switches.
import { APQN_MASK, ECA_APIE, FC_AQIC, GR0_RESERVED_41_47, GR0_T_BIT, PGM, STATUS_RC_MASK } from './arch'
import { inGuestConfig } from './firmware'
import type { ExecContext, Host, HostFacilities } from './model'
import { EOPNOTSUPP, outcome, type Insn, type Outcome } from './outcome'
import { lo, setGpr } from './regs'
import type { RuleId } from './rules'
import { hex, note } from './trace'
import { architectedAqic, vfioApPqapHook } from './vfio-ap'

/** What the handler decided: an outcome for the guest, or -EOPNOTSUPP (exit to user space). */
const O_NO_HOOK_RC01 = outcome('kvm', 'kvm.pqap.no-hook-rc01', 0, 'hi')

export type KvmResult = Outcome | typeof EOPNOTSUPP

export function kvmHandleInstruction(ctx: ExecContext, insn: Insn): KvmResult {
  if (insn.name !== 'PQAP') {
    if (ctx.trace) note(ctx, 'kvm.b2.no-case', { ipaLow: insn.name === 'NQAP' ? 'ad' : 'ae', insn: insn.name })
    return EOPNOTSUPP
  }
  if (!ctx.kernel.kvm.pqapHandler) {
    note(ctx, 'kvm.b2.no-pqap-case')
    return EOPNOTSUPP
  }
  return handlePqap(ctx)
}

function toUser(ctx: ExecContext, rule: RuleId, args?: Record<string, string | number>): typeof EOPNOTSUPP {
  if (ctx.trace) note(ctx, rule, args)
  return EOPNOTSUPP
}

function inject(ctx: ExecContext, rule: RuleId, pgm: number, args?: () => Record<string, string | number>): Outcome {
  if (ctx.trace) note(ctx, rule, args)
  return outcome('kvm', rule, pgm)
}

function warnOnce(ctx: ExecContext, key: string, text: string): void {
  const { host } = ctx
  if (host.warnedOnce.has(key)) return
  host.warnedOnce.add(key)
  host.log.push({
    atUs: host.nowUs,
    level: 'warn',
    source: `${ctx.kernel.refName} arch/s390/kvm/priv.c handle_pqap`,
    text,
  })
  note(ctx, 'kvm.arch.warn-once')
}

function handlePqap(ctx: ExecContext): KvmResult {
  const { vm, vcpu, host } = ctx
  const k = ctx.kernel.kvm
  // Architecture-faithful mode has no OP for a missing hook (interception.md §2).
  if (k.checkOrder?.startsWith('H') && !vm.hook && host.mode === 'kernel-faithful')
    return toUser(ctx, 'kvm.pqap.hook-missing-first')
  if (!host.apInstructions) return toUser(ctx, 'kvm.pqap.no-ap-instructions')
  if ((vm.eca & ECA_APIE) === 0) return toUser(ctx, 'kvm.pqap.apie-off')
  const r0lo = lo(vcpu, 0)
  const fc = (r0lo >>> 24) & 0xff
  if (fc !== FC_AQIC) {
    if (k.fcNot3 === 'warn+op') warnOnce(ctx, 'pqap-fc', `WARN_ON_ONCE: unexpected PQAP function code 0x${hex(fc, 2)}`)
    else if (k.fcNot3 === 'pr_warn+op')
      host.log.push({
        atUs: host.nowUs,
        level: 'warn',
        source: `${ctx.kernel.refName} handle_pqap`,
        text: 'Unexpected interception code',
      })
    const log =
      k.fcNot3 === 'op' ? '' : k.fcNot3 === 'warn+op' ? ' (WARN_ON_ONCE)' : ' (pr_warn "Unexpected interception code")'
    return toUser(ctx, 'kvm.pqap.fc-not-aqic', { fc: hex(fc, 2), log })
  }
  if (vcpu.psw.problem) return inject(ctx, 'kvm.pqap.problem-state', PGM.PRIVILEGED_OP)
  if (k.reservedBitsCheck && (r0lo & GR0_RESERVED_41_47) !== 0)
    return inject(ctx, 'kvm.pqap.reserved-bits', PGM.SPECIFICATION, () => ({ bits: hex(r0lo & GR0_RESERVED_41_47, 8) }))
  if (k.tBitApftCheck && !vm.facilities[15] && (r0lo & GR0_T_BIT) !== 0)
    return inject(ctx, 'kvm.pqap.t-bit-without-apft', PGM.SPECIFICATION)
  if (k.apxaMask !== null && vm.crycbFormat !== 2 && (r0lo & k.apxaMask) !== 0) {
    const mask = k.apxaMask
    const rule = mask === 0x30f0 ? 'kvm.pqap.apqn-range-wrong-mask' : 'kvm.pqap.apqn-range'
    return inject(ctx, rule, PGM.SPECIFICATION, () => ({
      format: vm.crycbFormat,
      mask: hex(mask, 4),
      bits: hex(r0lo & mask, 4),
    }))
  }
  if (!vm.facilities[65]) {
    if (k.fac65MissingResult === 'op') return toUser(ctx, 'kvm.pqap.fac65-missing-to-user')
    return inject(ctx, 'kvm.pqap.fac65-missing', PGM.SPECIFICATION)
  }
  if (host.mode === 'architecture-faithful') return architectedAnswer(ctx)
  if (vm.hook) return callHook(ctx)
  return noHook(ctx)
}

function callHook(ctx: ExecContext): KvmResult {
  const k = ctx.kernel.kvm
  const { vcpu, host } = ctx
  if (k.moduleRefcount === 'try_module_get' && host.faults.moduleGetFails)
    return toUser(ctx, 'kvm.pqap.module-get-failed')
  if (ctx.trace)
    note(ctx, 'kvm.pqap.call-hook', {
      refcount:
        k.moduleRefcount === 'rwsem'
          ? 'pqap_hook_rwsem held for reading'
          : k.moduleRefcount === 'try_module_get'
            ? 'module reference taken'
            : 'bare function pointer',
    })
  const ccBefore = vcpu.psw.cc
  const hook = vfioApPqapHook(ctx)
  if (hook.result === EOPNOTSUPP) return toUser(ctx, 'kvm.pqap.hook-eopnotsupp')
  // From v7 KVM reads the RC where vfio_ap put it: GR1 bits 40–47 (low word).
  const rc = (lo(vcpu, 1) & STATUS_RC_MASK) >>> 16
  if (k.hookErrorCc === 'unchanged' && k.hookSuccessCc === 'unchanged' && k.noHookCc === 'unchanged') {
    if (ctx.trace) note(ctx, 'kvm.pqap.cc-never-set', { cc: ccBefore })
  } else if (rc !== 0) {
    if (k.hookErrorCc === 3) {
      vcpu.psw.cc = 3
      if (ctx.trace) note(ctx, 'kvm.pqap.cc-error', { rc: hex(rc, 2) })
    }
  } else if (k.hookSuccessCc === 0) {
    vcpu.psw.cc = 0
    note(ctx, 'kvm.pqap.cc-success')
  } else {
    if (ctx.trace) note(ctx, 'kvm.pqap.cc-unchanged-success', { cc: ccBefore })
  }
  return hookOutcome(hook.rule, ctx.kernel.vfioAp.hookPlacement)
}

const HOOK_OUTCOMES = { lo: new Map<RuleId, Outcome>(), hi: new Map<RuleId, Outcome>() }
function hookOutcome(rule: RuleId, placement: 'lo' | 'hi'): Outcome {
  let o = HOOK_OUTCOMES[placement].get(rule)
  if (!o) {
    o = outcome('vfio_ap', rule, 0, placement)
    HOOK_OUTCOMES[placement].set(rule, o)
  }
  return o
}

function noHook(ctx: ExecContext): KvmResult {
  const k = ctx.kernel.kvm
  const { vcpu } = ctx
  if (k.noHookResult === 'op') return toUser(ctx, 'kvm.pqap.no-hook-to-user')
  // Q1: the 4-byte status lands in the first 4 bytes of GR1; bits 32–63 keep the guest's value.
  setGpr(vcpu, 1, 0x00010000, lo(vcpu, 1))
  let cc = ''
  if (k.noHookCc === 3) {
    vcpu.psw.cc = 3
    cc = '; cc 3'
  } else cc = `; cc unchanged (${vcpu.psw.cc})`
  if (ctx.trace) note(ctx, 'kvm.pqap.no-hook-rc01', { cc })
  return O_NO_HOOK_RC01
}

function architectedAnswer(ctx: ExecContext): Outcome {
  const apqn = lo(ctx.vcpu, 0) & APQN_MASK
  return architectedAqic(ctx, apqn, inGuestConfig(ctx.vm, apqn))
}

/** Facility bits KVM puts into a VM's facility mask (kvm_arch_init_vm, FACILITIES_KVM_CPUMODEL). */
export function kvmOfferedFacilities(host: Pick<Host, 'kernel' | 'facilities' | 'aiv'>): HostFacilities {
  const gating = host.kernel.kvm.fac65Gating
  const f = host.facilities
  return {
    12: f[12],
    15: f[15],
    65: gating === 'host65' ? f[65] : gating === 'host65+aiv' ? f[65] && host.aiv : false,
    76: f[76],
  }
}

/** kvm_s390_set_crycb_format: no MSA3 → format 0; host APXA → format 2; else format 1. */
export function crycbFormatFor(msa3: boolean, hostApxa: boolean): 0 | 1 | 2 {
  if (!msa3) return 0
  return hostApxa ? 2 : 1
}
