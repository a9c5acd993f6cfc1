/** Requests to integration URLs pinned to guard-approved addresses (see @skyflo/connectors/egress: integration-egress.ts). */
export { createIntegrationEgress, IntegrationUrlRefusedError, type IntegrationEgress } from '@skyflo/connectors/egress';
/** Answers of integrations read with a byte cap counted while they stream (see @skyflo/connectors/egress: capped-body.ts). */
export { capResponse, cappedFetch, defaultIntegrationResponseMaxBytes, readCappedJson, readCappedText, ResponseTooLargeError } from '@skyflo/connectors/egress';

/**
 * The cap on the small answers of APIs that only acknowledge (Slack, Teams, PagerDuty) or prove a connection (the
 * Jenkins and data-source checks, Ollama's model list): a few KiB in practice, so 1 MiB is generous.
 */
export const smallAnswerMaxBytes = 1024 * 1024;
