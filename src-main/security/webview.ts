// https://www.electronjs.org/docs/latest/tutorial/security#12-verify-webview-options-before-creation
export interface WebviewHostContents {
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown
}

export function preventWebviews(contents: WebviewHostContents, log: (message: string) => void = console.warn): void {
  contents.on('will-attach-webview', (event) => {
    event.preventDefault()
    log('aplab: prevented a <webview> from attaching')
  })
}
