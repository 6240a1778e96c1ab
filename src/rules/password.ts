import { fieldError, type FieldError } from '../errors/app-error.js';

export const PASSWORD_MIN_LENGTH = 8;
/** Bytes, not characters: argon2 input size is what costs. */
export const PASSWORD_MAX_BYTES = 256;

/** The one password check every create and update path calls. */
export function checkPassword(password: string, path = '/password'): FieldError[] {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    return [fieldError(path, 'PASSWORD_TOO_SHORT', `Passwords need at least ${PASSWORD_MIN_LENGTH} characters`)];
  }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    return [fieldError(path, 'PASSWORD_TOO_LONG', `Passwords may be at most ${PASSWORD_MAX_BYTES} bytes`)];
  }
  return [];
}
