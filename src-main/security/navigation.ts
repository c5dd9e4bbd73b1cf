// https://www.electronjs.org/docs/latest/tutorial/security#13-disable-or-limit-navigation
export interface NavigatingContents {
  on(event: 'will-navigate', listener: (event: { url: string; preventDefault(): void }) => void): unknown
}

export function blockForeignNavigation(
  contents: NavigatingContents,
  isAppUrl: (url: string) => boolean,
  log: (message: string) => void = console.warn,
): void {
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url)) return
    event.preventDefault()
    log(`aplab: blocked navigation to ${event.url}`)
  })
}
