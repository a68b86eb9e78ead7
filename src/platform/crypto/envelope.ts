import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Envelope encryption for personal data at rest (AES-256-GCM throughout).
 *
 * Each record that holds personal data has its own random data key. Fields are encrypted with that data key; the
 * data key is stored beside the record only "wrapped" (encrypted) by the key-encryption key, which comes from the
 * environment (PATCHWORK_DATA_KEY) and is never written to the database. So:
 * - a database dump or backup on its own reveals nothing;
 * - rotating the key-encryption key re-wraps each data key (a few bytes per record), not every field;
 * - deleting a record's wrapped data key makes every copy of its fields unreadable, backups included.
 *
 * Each ciphertext is bound to where it belongs (the "context", e.g. `support_people:<id>:name`) as additional
 * authenticated data, so a ciphertext copied into another row or column fails to decrypt rather than showing the
 * wrong person's details.
 */

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

type Kek = { id: string; key: Buffer };

/** A short public name for a key-encryption key, stored beside what it wrapped so the right key can be found. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('patchwork-kek').update(key).digest('hex').slice(0, 12);
}

/** Reads a key as given in the environment: 32 bytes, base64 or base64url (e.g. from `openssl rand -base64 32`). */
export function parseKey(text: string, name: string): Buffer {
  const key = Buffer.from(text.trim(), /[-_]/.test(text) ? 'base64url' : 'base64');
  if (key.length !== 32) throw new KeyError(`${name} must be 32 random bytes written in base64 (try: openssl rand -base64 32); it decodes to ${key.length} bytes`);
  return key;
}

const seal = (key: Buffer, plaintext: Buffer, aad: string): Buffer => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
};

const open = (key: Buffer, sealed: Buffer, aad: string): Buffer => {
  if (sealed.length < 28) throw new KeyError('The stored value is too short to be a ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  } catch {
    throw new KeyError('The stored value could not be decrypted: it was changed, or belongs elsewhere, or the key is wrong');
  }
};

/** A record's own data key, unwrapped, for encrypting and decrypting that record's fields. */
export class DataKey {
  constructor(private readonly key: Buffer) {}

  /** `v1.` then base64url of iv ‖ tag ‖ ciphertext. Null stays null, so optional fields stay optional. */
  encrypt(plaintext: string, context: string): string;
  encrypt(plaintext: string | null | undefined, context: string): string | null;
  encrypt(plaintext: string | null | undefined, context: string): string | null {
    if (plaintext == null) return null;
    return `v1.${seal(this.key, Buffer.from(plaintext, 'utf8'), context).toString('base64url')}`;
  }

  decrypt(stored: string, context: string): string;
  decrypt(stored: string | null | undefined, context: string): string | null;
  decrypt(stored: string | null | undefined, context: string): string | null {
    if (stored == null) return null;
    if (!stored.startsWith('v1.')) throw new KeyError('The stored value is not in a format Patchwork wrote');
    return open(this.key, Buffer.from(stored.slice(3), 'base64url'), context).toString('utf8');
  }

  /** JSON values (contact details, demographics) as one encrypted field. */
  encryptJson(value: unknown, context: string): string | null {
    return value == null ? null : this.encrypt(JSON.stringify(value), context);
  }

  decryptJson<T>(stored: string | null | undefined, context: string): T | null {
    const text = this.decrypt(stored, context);
    return text == null ? null : (JSON.parse(text) as T);
  }
}

/**
 * The key-encryption keys: the current one wraps new data keys; retired ones (kept in the environment during a
 * rotation) can still unwrap what they wrapped until `patchwork keys rotate` has re-wrapped everything.
 */
export class Keyring {
  private readonly byId: Map<string, Kek>;
  readonly current: Kek;

  constructor(current: Buffer, retired: Buffer[] = []) {
    this.current = { id: keyIdOf(current), key: current };
    this.byId = new Map([this.current, ...retired.map((key) => ({ id: keyIdOf(key), key }))].map((k) => [k.id, k]));
  }

  /** A new data key, and its wrapped form to store: `<kek id>.<base64url sealed key>`. */
  newDataKey(context: string): { dataKey: DataKey; wrapped: string } {
    const raw = randomBytes(32);
    return { dataKey: new DataKey(raw), wrapped: this.wrap(raw, context) };
  }

  unwrap(wrapped: string, context: string): DataKey {
    return new DataKey(this.unwrapRaw(wrapped, context));
  }

  /** Whether a wrapped key was wrapped by the current key-encryption key. */
  isCurrent(wrapped: string): boolean {
    return wrapped.startsWith(`${this.current.id}.`);
  }

  /** The same data key wrapped by the current key-encryption key (the fields it protects are untouched). */
  rewrap(wrapped: string, context: string): string {
    return this.wrap(this.unwrapRaw(wrapped, context), context);
  }

  private wrap(raw: Buffer, context: string): string {
    return `${this.current.id}.${seal(this.current.key, raw, `dek:${context}`).toString('base64url')}`;
  }

  private unwrapRaw(wrapped: string, context: string): Buffer {
    const dot = wrapped.indexOf('.');
    const kek = this.byId.get(wrapped.slice(0, dot));
    if (dot < 0 || !kek) throw new KeyError(`This record's data key was wrapped by key ${wrapped.slice(0, Math.max(dot, 0)) || '(unknown)'}, which is neither PATCHWORK_DATA_KEY nor in PATCHWORK_RETIRED_DATA_KEYS`);
    return open(kek.key, Buffer.from(wrapped.slice(dot + 1), 'base64url'), `dek:${context}`);
  }
}

/**
 * The keyring from the environment. Without PATCHWORK_DATA_KEY, outside production, a key is made once and kept in
 * the data directory beside (never inside) the embedded database, readable only by its owner, so `npm start` works
 * on a fresh machine; production refuses to run without the key being supplied.
 */
export async function resolveKeyring(config: { dataKey: string | undefined; retiredDataKeys: string[]; dataDir: string; environment: string }): Promise<Keyring> {
  const retired = config.retiredDataKeys.map((k, i) => parseKey(k, `PATCHWORK_RETIRED_DATA_KEYS (key ${i + 1})`));
  if (config.dataKey) return new Keyring(parseKey(config.dataKey, 'PATCHWORK_DATA_KEY'), retired);
  if (config.environment === 'production') throw new KeyError('PATCHWORK_DATA_KEY must be set in production: the key that protects personal data at rest (try: openssl rand -base64 32). Keep it outside the database and its backups.');
  const file = path.join(config.dataDir, 'data.key');
  try {
    return new Keyring(parseKey(await readFile(file, 'utf8'), file), retired);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  // Written whole under a temporary name, then linked into place: a process starting at the same moment sees
  // either no key or the whole key, and the first link wins.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return new Keyring(parseKey(await readFile(file, 'utf8'), file), retired);
}
