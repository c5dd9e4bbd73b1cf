// Kernel and QEMU profiles: the catalogue from the bridge, the selection, the view mode.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { KernelProfile, ProfileCatalogue, QemuProfile } from '../../../src-preload/contract'
import { lab } from '../bridge'
import { useActivityStore } from './activity'

export type Profile = KernelProfile | QemuProfile
export type ProfilesView = 'tables' | 'matrix'

export const useProfilesStore = defineStore('profiles', () => {
  const activity = useActivityStore()

  const catalogue = shallowRef<ProfileCatalogue | null>(null)
  const loading = ref(false)
  const loadFailed = ref(false)
  const selectedId = ref<string | null>(null)
  const view = ref<ProfilesView>('tables')

  const kernel = computed<readonly KernelProfile[]>(() => catalogue.value?.kernel ?? [])
  const qemu = computed<readonly QemuProfile[]>(() => catalogue.value?.qemu ?? [])

  const selected = computed<Profile | null>(() => {
    const id = selectedId.value
    if (id === null) return null
    return kernel.value.find((p) => p.id === id) ?? qemu.value.find((p) => p.id === id) ?? null
  })

  /** The profile listed just before the selected one, of the same kind (what it changed from). */
  const previous = computed<Profile | null>(() => {
    const p = selected.value
    if (!p) return null
    const list: readonly Profile[] = p.kind === 'kernel' ? kernel.value : qemu.value
    const i = list.findIndex((q) => q.id === p.id)
    return i > 0 ? list[i - 1]! : null
  })

  let inflight: Promise<void> | null = null

  /** Loads the catalogue once; `force` reloads it. Concurrent calls share one request. */
  function load(force = false): Promise<void> {
    if (inflight) return inflight
    if (catalogue.value && !force) return Promise.resolve()
    loading.value = true
    inflight = (async () => {
      const r = await activity.track('profiles.load', 'Loading profiles', () => lab.listProfiles(), {
        done: (c) => `${c.kernel.length} kernel · ${c.qemu.length} QEMU profiles`,
        retry: () => void load(true),
      })
      if (r.ok) {
        catalogue.value = r.value
        loadFailed.value = false
        if (selectedId.value !== null && !selected.value) selectedId.value = null
      } else {
        loadFailed.value = true
      }
      loading.value = false
      inflight = null
    })()
    return inflight
  }

  function select(id: string | null): void {
    selectedId.value = id
  }

  function setView(v: ProfilesView): void {
    view.value = v
  }

  return { catalogue, loading, loadFailed, selectedId, view, kernel, qemu, selected, previous, load, select, setView }
})
