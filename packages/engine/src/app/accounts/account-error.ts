import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
/** A user-facing account failure; `statusCode` tells the HTTP layer how to answer, `message` is shown as is. */
export class AccountError extends SkyfloError {
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
      | 'OIDC_EMAIL_UNVERIFIED'
      /** issue 74 item 7: an account with the e-mail exists, not linked to the person: only its owner links it */
      | 'OIDC_LINK_REQUIRED'
      /** issue 74 item 7: an explicit link refused (the break-glass account, another person's address) */
      | 'OIDC_LINK_REFUSED',
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}
