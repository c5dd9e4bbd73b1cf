// Progress of a sweep on the terminal: a bar redrawn on stderr when it is a TTY, or plain
// `progress …` lines (`--progress`), at most one per percent.
import type { SweepProgress } from './index'

export type ProgressMode = 'bar' | 'lines' | 'none'

export interface ProgressReporter {
  update(p: SweepProgress): void
  /** Clears the bar (bar mode) or prints nothing more (lines). */
  finish(): void
}

export function progressReporter(
  mode: ProgressMode,
  write: (text: string) => void,
  label: string,
  columns = 80,
): ProgressReporter {
  if (mode === 'none') return { update: () => {}, finish: () => {} }
  let lastPercent = -1
  let lastDraw = 0
  let drawn = false
  const fmt = (n: number) => n.toLocaleString('en-US')
  return {
    update({ done, total }) {
      const percent = total === 0 ? 100 : Math.floor((done * 100) / total)
      if (mode === 'lines') {
        if (percent === lastPercent && done !== total) return
        lastPercent = percent
        write(`progress ${label}: ${done}/${total} cells (${percent}%)\n`)
        return
      }
      const now = Date.now()
      if (now - lastDraw < 80 && done !== total) return
      lastDraw = now
      const text = ` ${percent}% ${fmt(done)}/${fmt(total)} cells`
      const width = Math.max(10, Math.min(40, columns - label.length - text.length - 4))
      const filled = Math.round((width * percent) / 100)
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${text}`)
      drawn = true
    },
    finish() {
      // carriage return, then erase to the end of the line
      if (mode === 'bar' && drawn) write('\r\x1b[K')
    },
  }
}
