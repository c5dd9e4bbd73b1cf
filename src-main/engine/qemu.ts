// QEMU: the CPU model that decides ECA_APIE and the AP facilities (interception.md §5.2–5.4),
// and the instruction intercept that turns every AP exit into an operation exception (§5.1).
import { PGM } from './arch'
import { kvmOfferedFacilities } from './kvm'
import type { Host } from './model'
import { outcome, type Insn, type Outcome } from './outcome'
import type { ApFeature, QemuProfile } from './profiles/types'
import type { RuleId } from './rules'
import { note, type TraceScope } from './trace'

export const AP_FEATURES: readonly ApFeature[] = ['ap', 'apqci', 'apft', 'apqi', 'appv', 'appvi']

export const FEATURE_DEPENDENCIES: readonly { feature: ApFeature; needs: ApFeature }[] = [
  { feature: 'apqci', needs: 'ap' },
  { feature: 'apft', needs: 'ap' },
  { feature: 'apqi', needs: 'ap' },
  { feature: 'appv', needs: 'ap' },
  { feature: 'appvi', needs: 'appv' },
]

/** CPU model names QEMU knows on s390x (`-cpu help`); `qemu` and `max` are TCG models without `ap`. */
export const CPU_MODELS: readonly string[] = [
  'host',
  'qemu',
  'max',
  'z900',
  'z990',
  'z9EC',
  'z10EC',
  'z196',
  'z114',
  'zEC12',
  'zBC12',
  'z13',
  'z13s',
  'z14',
  'z14ZR1',
  'z15',
  'z16',
  'gen15a',
  'gen15b',
  'gen16a',
  'gen16b',
  'gen17a',
  'gen17b',
]

export interface CpuModelSpec {
  model: string
  features: Partial<Record<ApFeature, boolean>>
}

export type CpuFeatures = Record<ApFeature, boolean>

export interface CpuModelResult {
  ok: boolean
  features: CpuFeatures
  /** QEMU's start-up error, when the guest does not start. */
  error: string | null
  warnings: string[]
  rules: { rule: RuleId; args: Record<string, string> }[]
}

/** What the host and KVM let `-cpu host` enable. Secure Execution (appv/appvi) is not modelled: never offered. */
export function offeredFeatures(host: Pick<Host, 'kernel' | 'facilities' | 'aiv' | 'apInstructions'>): CpuFeatures {
  const fac = kvmOfferedFacilities(host)
  return {
    ap: host.apInstructions,
    apqci: host.apInstructions && fac[12],
    apft: host.apInstructions && fac[15],
    apqi: host.apInstructions && fac[65],
    appv: false,
    appvi: false,
  }
}

export function resolveCpuModel(
  qemu: QemuProfile,
  host: Pick<Host, 'kernel' | 'facilities' | 'aiv' | 'apInstructions'>,
  spec: CpuModelSpec,
): CpuModelResult {
  if (!CPU_MODELS.includes(spec.model)) {
    return {
      ok: false,
      features: { ap: false, apqci: false, apft: false, apqi: false, appv: false, appvi: false },
      // Wording of QEMU's generic CPU-option parser (inferred).
      error: `qemu-system-s390x: unable to find CPU model '${spec.model}'`,
      warnings: [],
      rules: [{ rule: 'qemu.cpu.model-unknown', args: { model: spec.model } }],
    }
  }
  const offered = offeredFeatures(host)
  const features = { ap: false, apqci: false, apft: false, apqi: false, appv: false, appvi: false }
  const rules: CpuModelResult['rules'] = []
  const warnings: string[] = []
  const unavailable: ApFeature[] = []
  const hostModel = spec.model === 'host'
  const arg = `${spec.model}${AP_FEATURES.filter((f) => spec.features[f] !== undefined)
    .map((f) => `,${f}=${spec.features[f] ? 'on' : 'off'}`)
    .join('')}`
  for (const f of AP_FEATURES) {
    const requested = spec.features[f]
    const known = qemu.features.includes(f)
    if (requested !== undefined && !known) {
      rules.push({ rule: 'qemu.cpu.feature-unknown', args: { feature: f } })
      return {
        ok: false,
        features,
        // Wording of QEMU's global-property error (inferred from the qdev property path).
        error: `qemu-system-s390x: -cpu ${arg}: can't apply global ${spec.model}-s390x-cpu.${f}=${requested ? 'on' : 'off'}: Property '.${f}' not found`,
        warnings,
        rules,
      }
    }
    const on = requested ?? (hostModel && known && offered[f])
    if (on && !offered[f]) unavailable.push(f)
    features[f] = on
  }
  if (unavailable.length > 0) {
    rules.push({ rule: 'qemu.cpu.feature-unavailable', args: { features: unavailable.join(', ') } })
    return {
      ok: false,
      features,
      error: `qemu-system-s390x: -cpu ${arg}: Some features requested in the CPU model are not available in the configuration: ${unavailable.join(' ')}`,
      warnings,
      rules,
    }
  }
  for (const d of FEATURE_DEPENDENCIES) {
    if (features[d.feature] && !features[d.needs]) {
      warnings.push(`qemu-system-s390x: warning: '${d.feature}' requires '${d.needs}'.`)
      rules.push({ rule: 'qemu.cpu.dependency', args: { feature: d.feature, needs: d.needs } })
    }
  }
  return { ok: true, features, error: null, warnings, rules }
}

/** The vfio-ap device needs this QEMU to have it and the ap-bus, which exists only with `ap` (s390_init_ap). */
export function vfioApDeviceError(qemu: QemuProfile, features: CpuFeatures): { rule: RuleId; error: string } | null {
  if (!qemu.vfioApDevice)
    return {
      rule: 'qemu.vfio-ap.no-device',
      error: "qemu-system-s390x: -device vfio-ap: 'vfio-ap' is not a valid device model name",
    }
  if (!features.ap)
    return {
      rule: 'qemu.vfio-ap.no-bus',
      error: "qemu-system-s390x: -device vfio-ap: No 'ap-bus' bus found for device 'vfio-ap'",
    }
  return null
}

/** handle_instruction → handle_b2: no case for 0xad/0xae/0xaf, so the exit becomes PGM 0x01. */
export function qemuHandleSieic(scope: TraceScope, insn: Insn): Outcome {
  note(scope, 'qemu.b2.unhandled', { ipaLow: insn.name === 'PQAP' ? 'af' : insn.name === 'NQAP' ? 'ad' : 'ae' })
  return outcome('qemu', 'qemu.b2.unhandled', PGM.OPERATION)
}
