/**
 * Output schemas (MCP `outputSchema`, spec 2025-06-18). Every tool answers a success with `structuredContent`:
 * at least `text`, the same text as its content block, so a client that reads only structured results (as the
 * spec invites) still gets the answer; tools with machine-readable extras add them next to it.
 *
 * Extras are optional on purpose: a structured result over the output budget is cut down to `{truncated: true}`
 * (budgets/budget-structured.ts) and must still validate.
 */
import { z } from 'zod';

/** What every tool's structured result has. */
export const textOutputShape = {
  text: z.string().describe('The result as text: the same text as the content block (redacted, within the output budget)'),
  truncated: z.boolean().optional().describe('Structured fields were cut to fit the output budget'),
};

/** `textOutputShape` plus a tool's own fields. */
export function withTextOutput<Shape extends z.ZodRawShape>(shape: Shape): typeof textOutputShape & Shape {
  return { ...textOutputShape, ...shape };
}
