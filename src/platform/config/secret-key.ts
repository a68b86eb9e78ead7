import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The key that signs CSRF tokens. From SECRET_KEY when set (needed when several servers share one
 * database, so each accepts the others' forms); otherwise made once and kept in the data directory,
 * readable only by its owner, so forms stay valid across restarts.
 */
export async function resolveSecretKey(config: { secretKey: string | undefined; dataDir: string }): Promise<string> {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.dataDir, 'secret.key');
  try {
    const key = (await readFile(file, 'utf8')).trim();
    if (key.length >= 32) return key;
  } catch {
    // not made yet
  }
  const key = randomBytes(32).toString('base64url');
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'w' });
  return key;
}
