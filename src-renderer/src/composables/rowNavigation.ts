// Keyboard model shared by the selectable tables: one row is in the tab order (roving
// tabindex); ↑/↓, Home/End, PageUp/PageDown move focus between rows; Enter or Space selects.
import { ref, watch, type Ref } from 'vue'

export function useRowNavigation(opts: {
  count: () => number
  /** Index of the selected row in this table, or -1. */
  selectedIndex: () => number
  select: (index: number) => void
}) {
  const body: Ref<HTMLElement | null> = ref(null)
  const focusIndex = ref(0)

  watch(
    opts.selectedIndex,
    (i) => {
      if (i >= 0) focusIndex.value = i
    },
    { immediate: true },
  )
  watch(opts.count, (n) => {
    if (focusIndex.value >= n) focusIndex.value = Math.max(0, n - 1)
  })

  function tabIndexFor(i: number): 0 | -1 {
    return i === focusIndex.value ? 0 : -1
  }

  function focusRow(i: number): void {
    const n = opts.count()
    if (n === 0) return
    const target = Math.min(n - 1, Math.max(0, i))
    focusIndex.value = target
    const row = body.value?.querySelector<HTMLElement>(`[data-row-index="${target}"]`)
    row?.focus()
    row?.scrollIntoView({ block: 'nearest', inline: 'nearest' })
  }

  function onKeydown(e: KeyboardEvent, i: number): void {
    if (e.altKey || e.ctrlKey || e.metaKey) return
    const moves: Record<string, number> = {
      ArrowDown: i + 1,
      ArrowUp: i - 1,
      Home: 0,
      End: opts.count() - 1,
      PageDown: i + 10,
      PageUp: i - 10,
    }
    const to = moves[e.key]
    if (to !== undefined) {
      e.preventDefault()
      focusRow(to)
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      opts.select(i)
    }
  }

  function onFocus(i: number): void {
    focusIndex.value = i
  }

  return { body, focusIndex, tabIndexFor, onKeydown, onFocus, focusRow }
}
