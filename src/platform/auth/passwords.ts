import { hash, verify } from '@node-rs/argon2';

// OWASP's minimum argon2id settings (19 MiB, 2 iterations, 1 lane): strong enough, and a sign-in
// still takes tens of milliseconds on a 2-core server.
const options = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const minimumPasswordLength = 12;
export const maximumPasswordLength = 256;

// NCSC guidance: length over complexity rules, and refuse passwords known to be common.
const common = new Set([
  'password1234', 'password12345', 'password123456', '123456789012', 'qwertyuiopas', 'iloveyou1234',
  'letmein12345', 'welcome12345', 'patchwork123', 'patchwork1234', 'administrator', 'changeme1234',
  'passwordpassword', '1234567890123', 'qwerty123456', 'abc123456789',
]);

/** Why a new password is not acceptable, in words for the person choosing it; null when it is fine. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < minimumPasswordLength) return `Password must be ${minimumPasswordLength} characters or more`;
  if (password.length > maximumPasswordLength) return `Password must be ${maximumPasswordLength} characters or fewer`;
  if (common.has(password.toLowerCase())) return 'Password is too common: choose one that is harder to guess';
  if (email && password.toLowerCase().includes(email.toLowerCase().split('@')[0]!) && email.split('@')[0]!.length >= 4) {
    return 'Password must not contain your email address';
  }
  if (new Set(password).size < 4) return 'Password must not be made of the same few characters repeated';
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

// Verifying against this when the account does not exist keeps the response time the same, so timing
// does not reveal which email addresses have accounts.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummyHash ??= hash('not-a-real-password-for-timing', options);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
