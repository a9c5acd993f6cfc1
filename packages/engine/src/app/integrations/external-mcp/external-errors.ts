/** Errors of the external MCP servers, apart from the connection module (which loads the MCP SDK only when first used). */
import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';

/** An external server that cannot be used now: not configured, disabled, unreachable, or not listing the tool. */
export class ExternalMcpUnavailableError extends SkyfloError {
  readonly code = 'EXTERNAL_MCP_UNAVAILABLE';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return true;
  }
}
