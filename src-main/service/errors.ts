import type { LabErrorBody, LabErrorCode } from '../../src-preload/contract'

export class LabError extends Error {
  readonly code: LabErrorCode
  readonly field: string | undefined

  constructor(code: LabErrorCode, message: string, field?: string) {
    super(field ? `${field}: ${message}` : message)
    this.code = code
    this.field = field
  }

  toBody(): LabErrorBody {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field }
  }
}

export function toErrorBody(err: unknown): LabErrorBody {
  if (err instanceof LabError) return err.toBody()
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) }
}
