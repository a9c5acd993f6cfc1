/**
 * Refuses passwords that would fall to the first minutes of any guessing attack. Deliberately small: length, the
 * most common passwords, repeated characters and the account's own email; no composition rules (they push people to
 * predictable patterns without adding much).
 */
const commonPasswords = new Set([
  'password', 'password1', 'password123', 'passw0rd', '12345678', '123456789', '1234567890', 'qwertyui', 'qwerty123',
  '11111111', '00000000', 'iloveyou', 'letmein1', 'welcome1', 'admin123', 'administrator', 'changeme', 'change-me',
  'abc12345', 'skyflo123', 'kubernetes', 'p@ssw0rd', 'trustno1', 'sunshine', 'football', 'baseball',
]);

/** Why the password is too weak, naming the field, or undefined when it is acceptable. */
export function weakPasswordReason(password: string, context: { email?: string; field?: string } = {}): string | undefined {
  const field = context.field ?? 'password';
  if (password.length < 8) return `${field}: must be at least 8 characters`;
  if (password.length > 1024) return `${field}: must be at most 1024 characters`;
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower)) return `${field}: is one of the most common passwords; choose another`;
  if (/^(.)\1+$/.test(password)) return `${field}: repeats a single character; choose another`;
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) return `${field}: must not contain the email address; choose another`;
  return undefined;
}
