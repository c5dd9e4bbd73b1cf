// Every decision the engine can take, by stable id. A trace record names one of these; its
// `ref` joins the selected profile's version with the file and function given here.

export type Layer = 'firmware' | 'kvm' | 'vfio_ap' | 'qemu' | 'lab'

export interface RuleDef {
  layer: Layer
  /** Sentence for people; `{x}` is filled from the record's arguments. */
  text: string
  file: string
  fn: string
  quirk?: string
  choice?: string
}

const PRIV = 'arch/s390/kvm/priv.c'
const OPS = 'drivers/s390/crypto/vfio_ap_ops.c'
const KVMC = 'target/s390x/kvm/kvm.c'
const MODELS = 'target/s390x/cpu_models.c'
const FW = 'architecture.md §14'
const KVMS390 = 'arch/s390/kvm/kvm-s390.c'

function fw(text: string, fn: string, choice?: string): RuleDef {
  return choice ? { layer: 'firmware', text, file: FW, fn, choice } : { layer: 'firmware', text, file: FW, fn }
}
function kvm(text: string, fn = 'handle_pqap', quirk?: string): RuleDef {
  return quirk ? { layer: 'kvm', text, file: PRIV, fn, quirk } : { layer: 'kvm', text, file: PRIV, fn }
}
function vfio(text: string, fn: string, quirk?: string, choice?: string): RuleDef {
  const r: RuleDef = { layer: 'vfio_ap', text, file: OPS, fn }
  if (quirk) r.quirk = quirk
  if (choice) r.choice = choice
  return r
}
function qemu(text: string, fn: string, file = KVMC): RuleDef {
  return { layer: 'qemu', text, file, fn }
}

export const RULES = {
  // Firmware (SIE interpretation)
  'fw.apie-off.intercept': fw(
    'ECA_APIE is 0: the machine interprets no AP instruction; {insn} intercepts (ICPT 0x04, ipa 0x{ipa})',
    'FW-2',
    'OQ-2',
  ),
  'fw.nested.intercept': fw(
    'effective ECA_APIE is 0 under the emulated lower-level hypervisor: every PQAP FC intercepts',
    'FW-1 (nested)',
  ),
  'fw.aqic.intercept': fw(
    'PQAP(AQIC) always intercepts (ICPT 0x04, ipa 0xb2af); IC.3 is never set, so no other FC does',
    'FW-1',
    'OQ-3',
  ),
  'fw.privileged': fw(
    '{insn} in problem state: privileged-operation exception, recognised before any specification condition',
    'FW-3',
    'OQ-1',
  ),
  'fw.fc-not-installed': fw('PQAP function code 0x{fc} is not installed ({why}): specification exception', 'FW-4'),
  'fw.reserved-bits': fw(
    'GR0 reserved bits set for {fcName} (GR0 & 0x{mask} = 0x{bits}): specification exception',
    'FW-5',
  ),
  'fw.t-bit-without-apft': fw('T bit (GR0 bit 40) set without APFT (facility 15): specification exception', 'FW-5'),
  'fw.apqn-range': fw(
    'APQN {apqn} out of range without APXA (CRYCB format {format}, GR0 & 0xc0f0 ≠ 0): specification exception',
    'FW-6',
  ),
  'fw.qci-alignment': fw('QCI block address 0x{addr} is not doubleword aligned: specification exception', 'FW-7'),
  'fw.odd-register': fw(
    '{insn} R{which} = {reg} is odd; the operand needs an even/odd pair: specification exception',
    'FW-8',
  ),
  'fw.must-be-zero': fw(
    '{insn} GR0 must-be-zero bits set (GR0 & 0x{mask} = 0x{bits}): specification exception',
    'FW-8',
  ),
  'fw.length-zero': fw('{insn} length (R{reg}) is zero: specification exception', 'FW-8'),
  'fw.length-too-big': fw(
    '{insn} length {len} exceeds the maximum message size {max} (ML {ml}): specification exception',
    'FW-8',
    'OQ-14',
  ),
  'fw.addressing': fw(
    '{what} at 0x{addr} (+{len}) lies outside guest memory ({mem} bytes): addressing exception',
    'storage operand',
    'inferred',
  ),
  'fw.queue-not-configured': fw(
    'APQN {apqn} is not in the guest configuration (APM × AQM of the CRYCB): cc 3, RC 0x01',
    'FW-9',
  ),
  'fw.queue-absent': fw(
    'APQN {apqn} is in the CRYCB but no such queue exists on the host: cc 3, RC 0x01',
    'FW-9',
    'OQ-5',
  ),
  'fw.reset-in-progress': fw('queue {apqn} is being reset until t={untilUs} µs: cc 3, RC 0x02', 'FW-11', 'OQ-11'),
  'fw.checkstopped': fw('adapter {apid} is check-stopped: cc 3, RC 0x04', 'FW-9'),
  'fw.deconfigured': fw('adapter {apid} is deconfigured: cc 3, RC 0x03', 'FW-9'),
  'fw.tapq': fw('TAPQ {apqn}: cc 0; status E={E} R={R} F={F} I={I}; GR2 hardware info 0x{hwinfo}', 'FW-10', 'OQ-12'),
  'fw.reset': fw(
    '{fcName} {apqn}: cc 0; requests and replies discarded, interruptions disabled; reset completes at t={untilUs} µs',
    'FW-11',
    'OQ-7',
  ),
  'fw.qci': fw('QCI: cc 0; 128-byte block stored at 0x{addr} (N={n}, Na={na}, Nd={nd})', 'FW-15', 'OQ-13'),
  'fw.qact': fw('QACT {apqn}: cc 0; compatible type = the card type', 'FW-10', 'inferred'),
  'fw.nqap.enqueued': fw(
    'NQAP {apqn}: request psmid 0x{psmid} ({len} bytes) enqueued; reply due at t={dueUs} µs; cc 0',
    'FW-14',
  ),
  'fw.nqap.full': fw('NQAP {apqn}: queue full (depth {depth}): cc 3, RC 0x10', 'FW-14'),
  'fw.dqap.reply': fw('DQAP {apqn}: reply psmid 0x{psmid} ({len} bytes) stored; cc 0', 'FW-14'),
  'fw.dqap.partial': fw(
    'DQAP {apqn}: buffer ({len} bytes) shorter than the reply ({total}); cc 1, reissue to continue',
    'FW-14',
    'inferred',
  ),
  'fw.dqap.no-reply': fw('DQAP {apqn}: no reply pending: cc 3, RC 0x10', 'FW-14'),
  'fw.aqic.enable': fw(
    'host AQIC {apqn}: interruptions enabled (ISC {isc}, GISC {gisc}, NIB 0x{nib}): RC 0x00',
    'FW-13',
  ),
  'fw.aqic.disable': fw('host AQIC {apqn}: interruptions disabled: RC 0x00', 'FW-13'),
  'fw.aqic.already-enabled': fw('host AQIC {apqn}: enable while interruptions are enabled: cc 3, RC 0x07', 'FW-12'),
  'fw.aqic.already-disabled': fw('host AQIC {apqn}: disable while interruptions are disabled: cc 3, RC 0x07', 'FW-12'),
  'fw.aqic.invalid-gisa': fw('host AQIC {apqn}: GISA designation 0 is invalid: cc 3, RC 0x08', 'FW-13'),
  'fw.aqic.architected': fw(
    'architecture-faithful mode: AQIC answered as the architecture would: RC 0x{rc}, cc {cc}',
    'FW-10',
  ),
  'fw.reply.irq': fw(
    'reply for {apqn} available: NIB byte at 0x{nib} set, adapter interruption made pending on ISC {isc}',
    'FW-14',
  ),

  // KVM
  'kvm.b2.no-pqap-case': kvm(
    'kvm_s390_handle_b2 has no case for 0xaf in this kernel: -EOPNOTSUPP, exit to user space',
    'kvm_s390_handle_b2',
  ),
  'kvm.b2.no-case': kvm(
    'kvm_s390_handle_b2 has no case for 0x{ipaLow} ({insn}) in any kernel: -EOPNOTSUPP, exit to user space',
    'kvm_s390_handle_b2',
  ),
  'kvm.pqap.hook-missing-first': kvm('no PQAP hook registered (checked first in v3): -EOPNOTSUPP'),
  'kvm.pqap.no-ap-instructions': kvm('the host has no AP instructions: -EOPNOTSUPP'),
  'kvm.pqap.apie-off': kvm('ECA_APIE is clear for this vCPU: -EOPNOTSUPP'),
  'kvm.pqap.fc-not-aqic': kvm('FC 0x{fc} is not AQIC: -EOPNOTSUPP{log}'),
  'kvm.pqap.problem-state': kvm('PSW problem state: inject PGM 0x02 (privileged operation)'),
  'kvm.pqap.reserved-bits': kvm('GR0 & 0x007f0000 = 0x{bits} (bits 41–47): inject PGM 0x06 (specification)'),
  'kvm.pqap.t-bit-without-apft': kvm('T bit set and facility 15 (APFT) not offered: inject PGM 0x06'),
  'kvm.pqap.apqn-range': kvm(
    'CRYCB format {format} (crycbd & 0x02 = 0) and GR0 & 0x{mask} = 0x{bits}: inject PGM 0x06',
  ),
  'kvm.pqap.apqn-range-wrong-mask': kvm(
    'CRYCB format {format} and GR0 & 0x30f0 = 0x{bits}: inject PGM 0x06 — the v6 mask is wrong (APIDs 16–63 rejected, 64–79/128–143/192–207 let through)',
    'handle_pqap',
    'Q7',
  ),
  'kvm.pqap.fac65-missing': kvm('facility 65 (AQIC) not offered to the VM: inject PGM 0x06 (specification)'),
  'kvm.pqap.fac65-missing-to-user': kvm('facility 65 not offered, fac65MissingResult = op: -EOPNOTSUPP to user space'),
  'kvm.pqap.module-get-failed': kvm('try_module_get(hook owner) failed (vfio_ap is unloading): -EOPNOTSUPP'),
  'kvm.pqap.call-hook': kvm('PQAP hook registered ({refcount}): call vfio_ap'),
  'kvm.pqap.hook-eopnotsupp': kvm('the hook returned -EOPNOTSUPP: exit to user space'),
  'kvm.pqap.cc-error': kvm('hook returned 0 and GR1 RC (bits 40–47) = 0x{rc} ≠ 0: cc 3'),
  'kvm.pqap.cc-success': kvm('hook returned 0 with RC 0: cc 0 (83303a4c776c)'),
  'kvm.pqap.cc-unchanged-success': kvm(
    'hook returned 0 with RC 0: the cc is left as it was ({cc}) — the guest cannot tell whether GR1 is meaningful',
    'handle_pqap',
    'Q2',
  ),
  'kvm.pqap.cc-never-set': kvm('this version never sets the cc: it stays {cc}', 'handle_pqap', 'Q3'),
  'kvm.pqap.no-hook-rc01': kvm(
    'no hook: status RC 0x01 copied into the first 4 bytes of GR1 without a shift (GR1 bits 0–31 = 0x00010000; bits 32–63 unchanged){cc}',
    'handle_pqap',
    'Q1',
  ),
  'kvm.pqap.no-hook-to-user': kvm('no hook: drop to user space (-EOPNOTSUPP), the alternative argued in the v5 review'),
  'kvm.exit.sieic': {
    layer: 'kvm',
    text: 'handler returned -EOPNOTSUPP: KVM_EXIT_S390_SIEIC (icptcode 0x04, ipa 0x{ipa}, ipb 0x{ipb})',
    file: KVMS390,
    fn: 'vcpu_post_run',
  } as RuleDef,
  'kvm.arch.warn-once': kvm('host log: WARN_ON_ONCE in handle_pqap (once per host boot)', 'handle_pqap', 'Q8'),

  // vfio_ap
  'vfio_ap.hook.no-aiv': vfio('vCPU lacks ECA_AIV (no GISA): return -EOPNOTSUPP', 'handle_pqap'),
  'vfio_ap.hook.no-aiv-fac65': vfio(
    'vCPU lacks ECA_AIV but the VM has facility 65: return -EOPNOTSUPP',
    'handle_pqap',
    'Q11',
  ),
  'vfio_ap.hook.no-mdev-op': vfio('hook called without an mdev for this KVM: return -EOPNOTSUPP', 'handle_pqap'),
  'vfio_ap.hook.no-mdev': vfio('no mdev behind the hook: status RC 0x01', 'handle_pqap'),
  'vfio_ap.hook.no-kvm': vfio('the mdev has no KVM: status RC 0x01', 'handle_pqap'),
  'vfio_ap.hook.queue-not-found': vfio('APQN {apqn} not found ({lookup}): status RC 0x01', 'vfio_ap_get_queue'),
  'vfio_ap.hook.queue-untied': vfio(
    'APQN {apqn} is bound to vfio_ap but not tied to a guest matrix: status RC 0x03',
    'vfio_ap_get_queue',
  ),
  'vfio_ap.hook.queue-of-other-guest': vfio(
    "APQN {apqn} belongs to the mdev of guest {owner}; v3 uses that mdev (q->matrix) without comparing its KVM with this guest's, so the interruption change applies to {owner}'s queue, GISA and memory — a cross-guest hole closed in v4 by per-mdev queue lists",
    'handle_pqap',
    'V3-X',
    'read from [PATCH v3 7/9]',
  ),
  'vfio_ap.hook.queue-found': vfio('APQN {apqn} found ({lookup}); IR = {ir}: {action}', 'handle_pqap'),
  'vfio_ap.hook.write-back-lo': vfio(
    'status 0x{status} copied into GR1 and shifted right by 32: bits 32–63 hold it, bits 0–31 are 0',
    'handle_pqap',
  ),
  'vfio_ap.hook.write-back-hi': vfio(
    'status 0x{status} copied into GR1 bits 0–31 without a shift; bits 32–63 unchanged',
    'handle_pqap',
    'Q4',
  ),
  'vfio_ap.irq.nib-not-in-memslot': vfio(
    'NIB 0x{nib} is not in a KVM memslot: status RC 0x06, nothing pinned',
    'vfio_ap_validate_nib',
  ),
  'vfio_ap.irq.nib-zero': vfio('NIB address 0 is invalid: status RC 0x06 (a64a6d23874c)', 'vfio_ap_validate_nib'),
  'vfio_ap.irq.pin-failed': vfio(
    'vfio_pin_pages(NIB 0x{nib}) failed with {errno}: status RC 0x06',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.pin-failed-zero': vfio(
    'vfio_pin_pages failed with {errno}; only -EINVAL/-E2BIG map to RC 0x06: an all-zero status is returned',
    'vfio_ap_irq_enable',
    'Q6',
  ),
  'vfio_ap.irq.pinned': vfio('NIB page pinned ({pinApi}-based), host address 0x{host}', 'vfio_ap_irq_enable'),
  'vfio_ap.irq.gisc-unchecked': vfio(
    'kvm_s390_gisc_register(ISC {isc}) failed; the result is not checked and the host AQIC goes ahead',
    'vfio_ap_irq_enable',
    undefined,
    'inferred',
  ),
  'vfio_ap.irq.gisc-failed-rc08': vfio(
    'kvm_s390_gisc_register(ISC {isc}) failed: status RC 0x08{leak}',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.gisc-failed-rc06': vfio(
    'kvm_s390_gisc_register(ISC {isc}) failed: NIB unpinned, status RC 0x06 (3746d48c55ac)',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.gisc-registered': vfio(
    'GISC {isc} registered in the GISA IAM; host alert ISC {nisc}',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.host-aqic': vfio(
    'host PQAP(AQIC) {apqn} IR={ir} ISC={nisc} GISC={isc} GISA=0x{gisa} ({designation}): RC 0x{rc}',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.host-status-zeros': {
    layer: 'vfio_ap',
    text: 'ap_aqic() returns GR1 bits 0–31 as the status, so vfio_ap sees all zeros (the firmware answered RC 0x{rc}; fixed by 394740d7645e)',
    file: 'arch/s390/include/asm/ap.h',
    fn: 'ap_aqic',
    quirk: 'Q5',
  } as RuleDef,
  'vfio_ap.irq.enabled': vfio('host RC 0x00: previous NIB/GISC released, new NIB and ISC saved', 'vfio_ap_irq_enable'),
  'vfio_ap.irq.rc07': vfio(
    'host RC 0x07: old configuration kept; new GISC unregistered and NIB unpinned{order}',
    'vfio_ap_irq_enable',
  ),
  'vfio_ap.irq.enable-error': vfio(
    'host RC 0x{rc}: warning logged, disable path run; the new pin and GISC stay registered (host leak)',
    'vfio_ap_irq_enable',
    'Q9',
  ),
  'vfio_ap.irq.rc-rewrite': vfio('host RC 0x{from} rewritten to 0x{to} before it is returned', 'vfio_ap_irq_enable'),
  'vfio_ap.irq.disable': vfio('host PQAP(AQIC) {apqn} IR=0: RC 0x{rc}; {action}', 'vfio_ap_irq_disable'),
  'vfio_ap.irq.disable-retry': vfio(
    'host AQIC disable answered RC 0x{rc}: sleep 20 ms and retry ({attempt}/6)',
    'vfio_ap_irq_disable',
  ),
  'vfio_ap.irq.disable-warn': vfio(
    'host AQIC disable answered RC 0x{rc}: WARN_ONCE "AP not operational", resources freed',
    'vfio_ap_irq_disable',
  ),
  'vfio_ap.irq.freed': vfio(
    'interrupt resources freed: GISC {isc} unregistered, NIB unpinned',
    'vfio_ap_free_aqic_resources',
  ),
  'vfio_ap.irq.gisc-fault-injected': vfio(
    'fault injected: kvm_s390_gisc_register fails',
    'kvm_s390_gisc_register',
    undefined,
    'fault',
  ),

  // QEMU
  'qemu.b2.unhandled': qemu(
    'handle_b2 has no case for 0x{ipaLow}: kvm_insn_unhandled_priv, returns -1; handle_instruction injects PGM 0x01 (operation)',
    'handle_b2',
  ),
  'qemu.cpu.model-unknown': qemu("CPU model '{model}' does not exist", 'parse_cpu_option', 'target/s390x/cpu_models.c'),
  'qemu.cpu.feature-unknown': qemu(
    "CPU feature '{feature}' does not exist in this QEMU",
    'cpu model properties',
    MODELS,
  ),
  'qemu.cpu.feature-unavailable': qemu(
    'CPU feature(s) {features} requested but not offered by the host and KVM',
    'check_compatibility',
    MODELS,
  ),
  'qemu.cpu.dependency': qemu(
    "feature '{feature}' needs '{needs}': warning only, the guest still starts",
    'check_consistency',
    MODELS,
  ),
  'qemu.vfio-ap.no-bus': qemu(
    '-device vfio-ap needs the ap-bus, which exists only with the ap feature',
    's390_init_ap',
    'hw/s390x/ap-bridge.c',
  ),
  'qemu.vfio-ap.no-device': qemu('this QEMU has no vfio-ap device', 'device_add', 'hw/vfio/ap.c'),

  // Lab (the scheduler and host events; not an instruction outcome of the stack)
  'lab.reset.irq-freed': {
    layer: 'lab',
    text: 'queue {apqn} reset by vfio_ap; its NIB pin and GISC registration freed',
    file: OPS,
    fn: 'vfio_ap_mdev_reset_queue',
  } as RuleDef,
  'vfio_ap.reset.irq-disable': {
    layer: 'vfio_ap',
    text: 'after resetting {apqn}, vfio_ap also disables its interruptions with a host AQIC (IR = 0) before freeing them — redundant, removed in 5.11',
    file: OPS,
    fn: 'vfio_ap_mdev_reset_queue',
  } as RuleDef,
  'lab.wait.irq': {
    layer: 'lab',
    text: 'adapter interruption on ISC {isc} delivered to the vCPU after {waitedUs} µs',
    file: 'product.md §5',
    fn: 'wait',
  } as RuleDef,
  'lab.wait.timeout': {
    layer: 'lab',
    text: 'no adapter interruption{isc} within {timeoutUs} µs',
    file: 'product.md §5',
    fn: 'wait',
  } as RuleDef,
  'lab.wait.crw': {
    layer: 'lab',
    text: 'channel report word for an AP configuration change taken after {waitedUs} µs (QEMU ≥ 10.1; CHSC SEI NT0 RS 5, CC 3); the guest reissues QCI to see the new configuration',
    file: 'product.md §5; interception.md §5.2 (QEMU 10.1)',
    fn: 'wait crw',
  } as RuleDef,
  'lab.wait.crw-timeout': {
    layer: 'lab',
    text: 'no channel report word within {timeoutUs} µs',
    file: 'product.md §5',
    fn: 'wait crw',
  } as RuleDef,
  'lab.guest.stopped': {
    layer: 'lab',
    text: 'guest is stopped; the step does not run',
    file: 'product.md §4',
    fn: 'events',
  } as RuleDef,
} satisfies Record<string, RuleDef>

export type RuleId = keyof typeof RULES

/** Each template split once into literal parts (even indexes) and argument names (odd indexes). */
const TEMPLATES = new Map<RuleId, string[]>()

function templateOf(id: RuleId): string[] {
  let parts = TEMPLATES.get(id)
  if (!parts) {
    parts = RULES[id].text.split(/\{(\w+)\}/)
    TEMPLATES.set(id, parts)
  }
  return parts
}

export interface RuleKey {
  /** The rule's position in RULES. */
  index: number
  /** The argument names its text uses, in order: the only arguments that change its record. */
  argNames: readonly string[]
}

const RULE_KEYS = new Map<RuleId, RuleKey>(
  (Object.keys(RULES) as RuleId[]).map((id, index) => [
    id,
    { index, argNames: templateOf(id).filter((_, i) => i % 2 === 1) },
  ]),
)

export function ruleKey(id: RuleId): RuleKey {
  return RULE_KEYS.get(id)!
}

export function fillRuleText(id: RuleId, args: Record<string, string | number> | undefined): string {
  const parts = templateOf(id)
  if (parts.length === 1) return parts[0]!
  let out = parts[0]!
  for (let i = 1; i < parts.length; i += 2) {
    const k = parts[i]!
    out += (args && k in args ? String(args[k]) : `{${k}}`) + parts[i + 1]!
  }
  return out
}
