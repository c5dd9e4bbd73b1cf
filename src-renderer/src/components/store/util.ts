// Helpers shared by the Sessions and Runs screens: file downloads, timestamps, durations.

/** Offers `text` as a file download (the browser's or Electron's save flow). */
export function downloadText(fileName: string, text: string, mime: string): void {
  const blob = new Blob([text], { type: `${mime};charset=utf-8` })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** An ISO timestamp in local time, `2026-03-15 14:02:07`; `—` for none. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  )
}

/** `12 ms`, `3.4 s`, `—`. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** Thousands separated by a thin space: `1 234 567`. */
export function count(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, '\u2009')
}
