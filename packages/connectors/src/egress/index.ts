/** Outbound requests to user-configured URLs: the address rules and the pinned fetch (shared with the engine). */
export { createIntegrationUrlGuard, isForbiddenAddress, refusalOf, resolveWithDns, type CheckIntegrationUrl, type ResolveHost } from './integration-url-guard.ts';
export { createIntegrationEgress, IntegrationUrlRefusedError, type IntegrationEgress } from './integration-egress.ts';
export { capResponse, cappedFetch, defaultIntegrationResponseMaxBytes, readCappedBytes, readCappedJson, readCappedText, ResponseTooLargeError, type CapOptions } from './capped-body.ts';
