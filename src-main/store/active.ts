/** Runs being recorded by this process, as `<resolved path>#<run id>`: not aborted by a second Store on the same file. */
export const ACTIVE_RUNS = new Set<string>()
