/**
 * Which addresses an integration URL may point at: the rules live beside the MCP server's Jenkins tools, which send
 * requests to the same URLs (@skyflo/connectors/egress); the engine uses them for webhooks, Slack and Jenkins checks.
 */
export { createIntegrationUrlGuard, isForbiddenAddress, refusalOf, resolveWithDns, type CheckIntegrationUrl, type ResolveHost } from '@skyflo/connectors/egress';
