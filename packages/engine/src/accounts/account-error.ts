import { SkyfloError } from '../errors/skyflo-error.ts';
/** A user-facing account failure; `statusCode` tells the HTTP layer how to answer, `message` is shown as is. */
export class AccountError extends SkyfloError {
  readonly category = 'user';
  constructor(
    readonly code:
      | 'INVALID_CREDENTIALS'
      | 'LOCAL_LOGIN_DISABLED'
      | 'INACTIVE_USER'
      | 'TOO_MANY_ATTEMPTS'
      | 'EMAIL_TAKEN'
      | 'REGISTRATION_CLOSED'
      | 'WRONG_PASSWORD'
      | 'INVALID_REFRESH_TOKEN'
      | 'USER_NOT_FOUND'
      | 'FORBIDDEN'
      | 'LAST_ADMIN'
      | 'SETUP_TOKEN_REQUIRED'
      | 'WEAK_PASSWORD'
      | 'CANNOT_REMOVE_SELF'
      | 'OIDC_IDENTITY_MISMATCH'
      | 'OIDC_EMAIL_UNVERIFIED',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}
