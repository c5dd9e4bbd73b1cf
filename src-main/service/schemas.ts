import { z } from 'zod'
import type { OperationName } from '../../src-preload/contract'

export const OPERATION_SCHEMAS = {
  listProfiles: z.undefined(),
  getProfile: z.strictObject({ id: z.string().min(1).max(64) }),
} satisfies Record<OperationName, z.ZodType>
