/// <reference types="vite/client" />

// A script file, not a module: `declare module '*.vue'` must stay a global declaration.

interface Window {
  /** Provided by the Electron preload; absent in browser mode (see bridge.ts). */
  readonly lab?: import('../../src-preload/contract').LabApi
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
