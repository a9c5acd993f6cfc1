/** Requests to integration URLs pinned to guard-approved addresses (see @skyflo/mcp-server/egress: integration-egress.ts). */
export { createIntegrationEgress, IntegrationUrlRefusedError, type IntegrationEgress } from '@skyflo/mcp-server/egress';
