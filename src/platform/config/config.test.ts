import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('defaults to the embedded engine on port 3000', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.dataDir).toMatch(/\/var$/);
  });

  it('names every bad variable and why', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT must be a number (it is "eighty")');
    expect(message).toContain('DATABASE_URL must be a postgres:// or postgresql:// connection URL');
    expect(message).not.toContain('mysql://x');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('TRUST_PROXY must be one of 1, 0, true, false, yes, no');
  });

  it('does not echo a short secret key', () => {
    expect(() => loadConfig({ SECRET_KEY: 'hunter2' })).toThrow(/SECRET_KEY must be at least 32 characters(?!.*hunter2)/);
  });

  it('takes an optional basemap only with its credit, and only as an https tile address', () => {
    expect(loadConfig({}).basemap).toBeUndefined();
    const basemap = loadConfig({ PATCHWORK_BASEMAP_URL: 'https://tiles.example.org/{z}/{x}/{y}.png', PATCHWORK_BASEMAP_ATTRIBUTION: '© OpenStreetMap contributors' }).basemap;
    expect(basemap).toEqual({ url: 'https://tiles.example.org/{z}/{x}/{y}.png', origin: 'https://tiles.example.org', attribution: '© OpenStreetMap contributors' });
    expect(() => loadConfig({ PATCHWORK_BASEMAP_URL: 'https://tiles.example.org/{z}/{x}/{y}.png' })).toThrow(/PATCHWORK_BASEMAP_ATTRIBUTION must be set/);
    expect(() => loadConfig({ PATCHWORK_BASEMAP_URL: 'http://tiles.example.org/{z}/{x}/{y}.png', PATCHWORK_BASEMAP_ATTRIBUTION: 'x' })).toThrow(/PATCHWORK_BASEMAP_URL must be an https:\/\/ raster tile address/);
  });
});
