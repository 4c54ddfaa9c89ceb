import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  it('has a default for everything, serving local use', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8080',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      s3: undefined,
      smtpUrl: undefined,
      adminToken: undefined,
      secretsKey: undefined,
      allowInsecureNotificationUrls: false,
      webhookRetrySchedule: [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
      passcodeTtl: 900,
      apikeyTtl: 90 * 86400,
      apikeyGrace: 86400,
      uploadLease: 600,
      shutdownGrace: 10,
    });
  });

  it('reads every variable of the contract', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://cloud.example.com/',
      DATA_DIR: '/var/lib/cc',
      DATABASE_URL: 'postgres://u:p@db:5432/cc',
      S3_ENDPOINT: 'http://127.0.0.1:7480',
      S3_BUCKET: 'files',
      S3_REGION: 'eu-west-2',
      S3_ACCESS_KEY_ID: 'AK',
      S3_SECRET_ACCESS_KEY: 'SK',
      SMTP_URL: 'smtp://mail:25',
      MAIL_FROM: 'cc@example.com',
      ADMIN_TOKEN: 'a'.repeat(32),
      SECRETS_KEY: 'ab'.repeat(32),
      ALLOW_INSECURE_NOTIFICATION_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0, 1,2',
      PASSCODE_TTL: '60',
      APIKEY_TTL: '3600',
      APIKEY_GRACE: '0',
      UPLOAD_LEASE: '30',
      SHUTDOWN_GRACE: '45',
    });
    expect(c).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      publicUrl: 'https://cloud.example.com',
      dataDir: '/var/lib/cc',
      databaseUrl: 'postgres://u:p@db:5432/cc',
      s3: {
        endpoint: 'http://127.0.0.1:7480',
        bucket: 'files',
        region: 'eu-west-2',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
      },
      smtpUrl: 'smtp://mail:25',
      mailFrom: 'cc@example.com',
      adminToken: 'a'.repeat(32),
      allowInsecureNotificationUrls: true,
      webhookRetrySchedule: [0, 1, 2],
      passcodeTtl: 60,
      apikeyTtl: 3600,
      apikeyGrace: 0,
      uploadLease: 30,
      shutdownGrace: 45,
    });
    expect(c.secretsKey?.toString('hex')).toBe('ab'.repeat(32));
    expect(loadConfig({ SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') }).secretsKey).toEqual(Buffer.alloc(32, 7));
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'cloud.example.com' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://db/cc' }, 'DATABASE_URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ S3_BUCKET: 'files' }, 'S3_ENDPOINT'],
    [{ S3_REDIRECT_DOWNLOADS: 'true' }, 'S3_REDIRECT_DOWNLOADS'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ SECRETS_KEY: 'c2hvcnQ=' }, 'SECRETS_KEY'],
    [{ ALLOW_INSECURE_NOTIFICATION_URLS: 'maybe' }, 'ALLOW_INSECURE_NOTIFICATION_URLS'],
    [{ WEBHOOK_RETRY_SCHEDULE: '0,5m' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ PASSCODE_TTL: '-1' }, 'PASSCODE_TTL'],
    [{ APIKEY_TTL: '0' }, 'APIKEY_TTL'],
    [{ APIKEY_GRACE: '1.5' }, 'APIKEY_GRACE'],
    [{ UPLOAD_LEASE: 'ten' }, 'UPLOAD_LEASE'],
    [{ SHUTDOWN_GRACE: '0' }, 'SHUTDOWN_GRACE'],
  ];
  for (const [env, variable] of bad) {
    it(`stops on a bad ${variable} with a message naming it`, () => {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
    });
  }

  it('never repeats a password from a bad URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/cc' })).toThrow(/\*\*\*@db/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/cc' })).not.toThrow(/hunter2/);
  });
});
