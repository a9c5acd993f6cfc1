/**
 * An on/off environment variable: true/false, 1/0 or yes/no, in any case and with surrounding spaces, so every
 * switch of the engine reads the same spellings and refuses anything else with the same message (a typo such as
 * `ture` fails the start instead of silently meaning false).
 */
import { z } from 'zod';

export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
