import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

/** A passkey request refused (registration, removal, assertion options, an approval's assertion): status and code. */
export class PasskeyError extends SkyfloError {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 409,
    readonly code: 'FRESH_SIGN_IN_REQUIRED' | 'PUBLIC_URL_UNKNOWN' | 'REGISTRATION_INVALID' | 'PASSKEY_NOT_FOUND' | 'PASSKEY_INVALID' | 'PASSKEY_REPLAYED' | 'PASSKEY_EXPIRED' | 'NO_PASSKEY' | 'APPROVAL_NOT_FOUND' | 'TOKEN_NOT_ALLOWED' | 'DEVICE_KEY_NOT_FOUND' | 'DEVICE_KEY_INVALID' | 'DEVICE_KEY_CONFIRMED' | 'DEVICE_KEY_UNCONFIRMED' | 'DEVICE_SIGNATURE_INVALID',
    message: string,
  ) {
    super(message);
  }
}
