/**
 * Load over a real loopback socket with autocannon (its programmatic API), in a process of its own so the load
 * generator does not share the server's event loop or its core. Shared by bench/need.ts and bench/load.ts.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export type Cannon = {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats?: Record<string, { count: number }>;
};

export type CannonOptions = {
  /** The server's origin and first path (http://127.0.0.1:PORT/path). */
  url: string;
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
  /**
   * A mix of paths each connection asks for in turn (autocannon's `requests`), so every connection walks the
   * same realistic sequence; without it every request asks for `url`.
   */
  paths?: string[];
  /** Every request asks for a new address (`&fresh=N`, a parameter pages ignore), so none is answered from a cache. */
  fresh?: boolean;
};

const autocannonMain = createRequire(import.meta.url).resolve('autocannon');

const cannonScript = `
const [main, options] = process.argv.slice(1);
const { default: autocannon } = await import(main);
const { url, seconds, connections, headers, paths, fresh } = JSON.parse(options);
let n = 0;
const requests = paths
  ? paths.map((path) => ({ method: 'GET', path }))
  : fresh
    ? [{ setupRequest: (request) => ({ ...request, path: request.path + '&fresh=' + n++ }) }]
    : undefined;
const result = await autocannon({ url, connections, duration: seconds, requests, headers: headers ?? {} });
process.stdout.write(JSON.stringify(result));
`;

export function autocannon(options: CannonOptions): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', cannonScript, '--', pathToFileURL(autocannonMain).href, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out) as Cannon);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** As a browser asks: every current browser accepts brotli and gzip (autocannon sends no Accept-Encoding unless told). */
export const browserHeaders = { 'accept-encoding': 'gzip, deflate, br' };
