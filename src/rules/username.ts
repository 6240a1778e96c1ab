// Zero-width and other invisible format characters that NFKC keeps but that make two names look alike.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/gu;
const ALLOWED = /^[\p{L}\p{N}._@+-]{1,64}$/u;

/**
 * The form usernames are compared in: NFKC (folds full-width and compatibility letters), invisible
 * characters removed, lower-cased. `Ａdmin` and `ad\u200Bmin` both become `admin`.
 */
export function usernameKey(input: string): string {
  return input.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
}

/** Returns the trimmed username, or undefined when it breaks the pattern (1-64 letters, digits and `. _ - @ +`). */
export function validateUsername(input: string): string | undefined {
  const value = input.trim().normalize('NFC');
  return ALLOWED.test(usernameKey(value)) ? value : undefined;
}
