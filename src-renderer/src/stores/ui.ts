// Navigation without a router: the current screen is state. The screen list itself is data
// (src/screens.ts); this store only knows ids, so screens may import it without a cycle.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ScreenId } from '../screens'

function screenFromHash(): string | null {
  const h = typeof location === 'undefined' ? '' : location.hash.replace(/^#\/?/, '')
  return h === '' ? null : decodeURIComponent(h)
}

export const useUiStore = defineStore('ui', () => {
  /** Requested screen id; App falls back to the first screen when it names none that exists. */
  const screen = ref<string | null>(screenFromHash())

  function go(id: ScreenId): void {
    screen.value = id
    if (typeof history !== 'undefined') history.replaceState(null, '', '#' + id)
  }

  return { screen, go }
})
