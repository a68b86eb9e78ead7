import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError, Keyring, keyIdOf, parseKey, resolveKeyring } from './envelope.ts';

describe('envelope encryption', () => {
  const keyring = new Keyring(randomBytes(32));

  it('round-trips a field, and the ciphertext shows nothing of it', () => {
    const { dataKey } = keyring.newDataKey('support_people:1:key');
    const stored = dataKey.encrypt('Zebedee Quillfeather', 'support_people:1:name');
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain('Zebedee');
    expect(dataKey.decrypt(stored, 'support_people:1:name')).toBe('Zebedee Quillfeather');
    // The same text twice gives different ciphertexts (a fresh nonce each time), so equal values cannot be matched.
    expect(dataKey.encrypt('Zebedee Quillfeather', 'support_people:1:name')).not.toBe(stored);
    expect(dataKey.encrypt(null, 'x')).toBeNull();
  });

  it('refuses a ciphertext moved to another row or column, or tampered with', () => {
    const { dataKey } = keyring.newDataKey('support_people:1:key');
    const stored = dataKey.encrypt('07700 900461', 'support_people:1:contact');
    expect(() => dataKey.decrypt(stored, 'support_people:2:contact')).toThrow(KeyError);
    expect(() => dataKey.decrypt(stored, 'support_people:1:name')).toThrow(KeyError);
    const flipped = `${stored.slice(0, -2)}${stored.at(-2) === 'A' ? 'B' : 'A'}${stored.at(-1)}`;
    expect(() => dataKey.decrypt(flipped, 'support_people:1:contact')).toThrow(KeyError);
  });

  it('opens a data key only with the key-encryption key that wrapped it, or after re-wrapping', () => {
    const old = randomBytes(32);
    const before = new Keyring(old);
    const { dataKey, wrapped } = before.newDataKey('p:1:key');
    const field = dataKey.encrypt('note', 'p:1:note');
    const fresh = randomBytes(32);
    expect(() => new Keyring(fresh).unwrap(wrapped, 'p:1:key')).toThrow(/neither PATCHWORK_DATA_KEY nor in PATCHWORK_RETIRED_DATA_KEYS/);
    const rotating = new Keyring(fresh, [old]);
    expect(rotating.isCurrent(wrapped)).toBe(false);
    const rewrapped = rotating.rewrap(wrapped, 'p:1:key');
    expect(rotating.isCurrent(rewrapped)).toBe(true);
    // The fields are untouched by rotation: the same data key opens them, now unwrapped by the new key alone.
    expect(new Keyring(fresh).unwrap(rewrapped, 'p:1:key').decrypt(field, 'p:1:note')).toBe('note');
    expect(rewrapped.startsWith(`${keyIdOf(fresh)}.`)).toBe(true);
  });

  it('checks keys from the environment', () => {
    expect(() => parseKey('c2hvcnQ=', 'PATCHWORK_DATA_KEY')).toThrow(/32 random bytes.*decodes to 5 bytes/);
    expect(parseKey(randomBytes(32).toString('base64'), 'k')).toHaveLength(32);
    expect(parseKey(randomBytes(32).toString('base64url'), 'k')).toHaveLength(32);
  });

  it('makes a development key once, outside the database, readable only by its owner; production must be given one', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'patchwork-keys-'));
    const [a, b] = await Promise.all([resolveKeyring({ dataKey: undefined, retiredDataKeys: [], dataDir, environment: 'development' }), resolveKeyring({ dataKey: undefined, retiredDataKeys: [], dataDir, environment: 'development' })]);
    expect(a.current.id).toBe(b.current.id);
    expect((await stat(path.join(dataDir, 'data.key'))).mode & 0o777).toBe(0o600);
    expect(parseKey(await readFile(path.join(dataDir, 'data.key'), 'utf8'), 'file')).toHaveLength(32);
    await expect(resolveKeyring({ dataKey: undefined, retiredDataKeys: [], dataDir, environment: 'production' })).rejects.toThrow(/PATCHWORK_DATA_KEY must be set in production/);
  });
});
