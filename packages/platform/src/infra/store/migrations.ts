import type { Kysely, Migration } from 'kysely';

// One set of migrations for both dialects: only portable column types (text, integer, bigint).
export const migrations: Record<string, Migration> = {
  '0001_onboarding': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('developers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('company', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('activated_at', 'text')
        .execute();
      await db.schema
        .createTable('applications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('developer_id', 'text', (c) => c.notNull().references('developers.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('solution', 'text', (c) => c.notNull())
        .addColumn('notification_url', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('webhook_secret_sealed', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('applications_developer').on('applications').column('developer_id').execute();
      await db.schema
        .createTable('registrations')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('developer_id', 'text', (c) => c.notNull().references('developers.id'))
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('captcha_spent')
        .addColumn('signature_hash', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
