/**
 * The rules the engine applies to a proposed call before it reaches the MCP server: which risks to flag on the
 * approval card, whether it is destructive and how to say what it does, and how to show its arguments without
 * revealing Secret values. A subpath of its own
 * (`@skyflo/mcp-server/call-rules`) because the package's main entry loads the whole tool catalogue, which the
 * engine must not wait for before it answers its first request.
 */
export { assessManifest, assessToolCallRisks, mergeRisks, type RiskFlag } from './risk/assess-tool-call-risks.ts';
export { describeSecretValue, redactToolArguments, secretValuesInToolArguments, type RedactToolArgumentsOptions } from './redaction/redact-tool-arguments.ts';
export { changedSystem, describeToolCall, destructiveReason, destructiveRiskCodes, isDestructiveCall } from './risk/describe-call.ts';
