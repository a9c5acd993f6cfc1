/**
 * @skyflo/safety: the pure rules both sides of a tool call apply. Risk assessment (which flags an approval card shows,
 * whether a call is destructive, how to say what it does) and redaction (what of a tool's output or a proposed call's
 * arguments is a secret). The MCP server applies them to what it returns and previews; the engine applies them to
 * what the model proposes, before anything reaches a person, the database or the event stream. No I/O and no cluster
 * reads: rules that need the cluster (MANAGED_BY_CONTROLLER) stay in @skyflo/mcp-server (risk/controller-risks.ts).
 * Depends on nothing of ours but @skyflo/protocol (the RiskFlag wire type); see docs/adr/0007-package-boundaries.md.
 * The team policy and change freeze evaluators (issue 76), which the engine and the executor share, are separate
 * entries (@skyflo/safety/policies, /freezes, /patterns) so that importing the rules here never loads CEL.
 */
export { assessManifest, assessToolCallRisks, mergeRisks, type RiskFlag } from './risk/assess-tool-call-risks.ts';
export { changedSystem, describeToolCall, destructiveReason, destructiveRiskCodes, isDestructiveCall } from './risk/describe-call.ts';
export { describeSecretValue, redactToolArguments, secretValuesInToolArguments, type RedactToolArgumentsOptions } from './redaction/redact-tool-arguments.ts';
export { redactObject, redactText, type RedactOptions } from './redaction/redact.ts';
export { createTextStreamRedactor, type TextStreamRedactor, type TextStreamRedactorOptions } from './redaction/redact-stream.ts';
export { REDACTED, type TokenPattern } from './redaction/names.ts';
export { replaceSecretValues, secretValuesOf, type SecretWithData } from './redaction/secret-values.ts';
export { TOKEN_PATTERNS } from './redaction/rules.ts';
