import argon2 from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * argon2id, by default with the library's OWASP-compliant costs (64 MiB, 3 passes). Tests pass lower costs to
 * stay fast; verification reads the costs from the stored hash, so changing them never locks anyone out.
 */
export function createPasswordHasher(options: { memoryCost?: number; timeCost?: number } = {}): PasswordHasher {
  return {
    hash: (password) => argon2.hash(password, { type: argon2.argon2id, ...options }),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        // A malformed stored hash means "no match", never a 500.
        return false;
      }
    },
  };
}
