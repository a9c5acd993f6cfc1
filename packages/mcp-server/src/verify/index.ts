/**
 * Verify, then undo (issue 21), the MCP server's side: capture_change_baseline (before a change) and verify_change
 * (after it). Both are read-only and carry no toolset tag, so the engine uses them itself and never lists them to the model.
 */
import type { ToolDeps } from '../deps/deps.ts';
import type { AnyToolDefinition } from '../contract/tool-definition.ts';
import { createCaptureChangeBaseline } from './capture-change-baseline.ts';
import { createVerifyChange } from './verify-change.ts';

export { captureChangeBaselineName } from './capture-change-baseline.ts';
export { verifyChangeName } from './verify-change.ts';

/** The two tools, for the mutating tools in `tools` (the catalogue's families). */
export function createVerificationTools(tools: AnyToolDefinition<ToolDeps>[]): AnyToolDefinition<ToolDeps>[] {
  return [createCaptureChangeBaseline(tools), createVerifyChange(tools)];
}
