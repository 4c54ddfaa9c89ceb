import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/**
 * One set of migrations for both dialects: portable column types (text, integer, bigint), except where a
 * dialect spells a thing its own way (an ever-increasing sequence column).
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  /** A sequence that orders rows by insertion. */
  const sequence = (c: ColumnDefinitionBuilder) =>
    dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey();
  const sequenceType = dialect === 'sqlite' ? 'integer' : 'bigserial';
  return {
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
    '0002_events_and_jobs': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('jobs')
          .addColumn('seq', sequenceType, sequence)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('ready', 'integer', (c) => c.notNull())
          .addColumn('run_at', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'ready', 'run_at']).execute();
        await db.schema.createIndex('jobs_key').on('jobs').columns(['key', 'seq']).execute();

        await db.schema
          .createTable('events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
          .addColumn('integration_id', 'text')
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('payload_sealed', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_attempt_at', 'text')
          .addColumn('next_attempt_at', 'text')
          .addColumn('delivered_at', 'text')
          .execute();
        await db.schema
          .createIndex('events_application')
          .on('events')
          .columns(['application_id', 'created_at'])
          .execute();
        await db.schema
          .createIndex('events_integration')
          .on('events')
          .columns(['integration_id', 'created_at'])
          .execute();

        await db.schema
          .createTable('event_attempts')
          .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('attempted_at', 'text', (c) => c.notNull())
          .addColumn('http_status', 'integer')
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('error', 'text')
          .addPrimaryKeyConstraint('event_attempts_pk', ['event_id', 'attempt'])
          .execute();

        await db.schema.alterTable('applications').addColumn('notification_gone_at', 'text').execute();
      },
    },
    '0003_consent_and_apikeys': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('instances')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('product', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('deleted_at', 'text')
          .execute();
        await db.schema
          .createTable('passcodes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
          .addColumn('code_hash', 'text', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('integration_id', 'text')
          .addColumn('apikey_sealed', 'text')
          .addColumn('apikey_kept_until', 'text')
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('passcodes_application')
          .on('passcodes')
          .columns(['application_id', 'created_at'])
          .execute();
        await db.schema
          .createTable('consents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('passcode_id', 'text', (c) => c.notNull().references('passcodes.id'))
          .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('passcode_failures')
          .addColumn('instance_id', 'text', (c) => c.notNull())
          .addColumn('failed_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('passcode_failures_instance')
          .on('passcode_failures')
          .columns(['instance_id', 'failed_at'])
          .execute();
        await db.schema
          .createTable('integrations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
          .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
          .addColumn('solution', 'text', (c) => c.notNull())
          .addColumn('passcode_id', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createIndex('integrations_instance')
          .on('integrations')
          .columns(['instance_id', 'status'])
          .execute();
        await db.schema
          .createIndex('integrations_application')
          .on('integrations')
          .columns(['application_id', 'status'])
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('key_hash', 'text', (c) => c.primaryKey())
          .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id'))
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('replaced_at', 'text')
          .addColumn('valid_until', 'text')
          .addColumn('successor_hash', 'text')
          .addColumn('successor_sealed', 'text')
          .execute();
        await db.schema
          .createIndex('api_keys_integration')
          .on('api_keys')
          .columns(['integration_id', 'created_at'])
          .execute();
      },
    },
    '0004_scope_files': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('scope_files')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
          .addColumn('solution', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('records', 'bigint', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('previous_file_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('scope_files_current')
          .on('scope_files')
          .columns(['instance_id', 'solution', 'scope', 'created_at'])
          .execute();
      },
    },
    '0005_uploads': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('uploads')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id'))
          .addColumn('application_id', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
          .addColumn('solution', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('progress', 'integer', (c) => c.notNull())
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('records', 'bigint')
          .addColumn('error_count', 'integer', (c) => c.notNull())
          .addColumn('errors', 'text', (c) => c.notNull())
          .addColumn('idempotency_key', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('result_blob_key', 'text')
          .addColumn('result_size', 'bigint')
          .addColumn('result_sha256', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('uploads_idempotency')
          .on('uploads')
          .columns(['integration_id', 'idempotency_key'])
          .unique()
          .execute();
        await db.schema
          .createIndex('uploads_integration')
          .on('uploads')
          .columns(['integration_id', 'created_at'])
          .execute();
        await db.schema
          .createIndex('uploads_inbox')
          .on('uploads')
          .columns(['instance_id', 'status', 'created_at'])
          .execute();
      },
    },
    '0006_rate_limits': {
      async up(db: Kysely<any>) {
        // rate-limiter-flexible's own layout (its INSERT names no columns): key, points, expire (epoch ms).
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('expire', 'bigint')
          .execute();
        await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute();
      },
    },
    '0007_upload_summary': {
      async up(db: Kysely<any>) {
        // ids_digest: the uploaded records' ids, summed as a multiset hash, to check the result answers each once.
        await db.schema.alterTable('uploads').addColumn('ids_digest', 'text').execute();
        await db.schema.alterTable('uploads').addColumn('result_accepted', 'bigint').execute();
        await db.schema.alterTable('uploads').addColumn('result_rejected', 'bigint').execute();
      },
    },
    '0008_upload_bodies_removed': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('uploads').addColumn('body_removed_at', 'text').execute();
      },
    },
    '0009_portal': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('applications').addColumn('previous_webhook_secret_sealed', 'text').execute();
        await db.schema.alterTable('applications').addColumn('previous_secret_valid_until', 'text').execute();
        await db.schema
          .createTable('sign_in_links')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('developer_id', 'text', (c) => c.notNull().references('developers.id'))
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('used_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('portal_sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('developer_id', 'text', (c) => c.notNull().references('developers.id'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .execute();
        await db.schema
          .createTable('developer_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('developer_id', 'text', (c) => c.notNull().references('developers.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createIndex('developer_tokens_developer')
          .on('developer_tokens')
          .columns(['developer_id', 'created_at'])
          .execute();
        // The console's lists page by (created_at, id) within a developer's applications.
        await db.schema
          .createIndex('uploads_application')
          .on('uploads')
          .columns(['application_id', 'created_at', 'id'])
          .execute();
      },
    },
    '0010_events_paging': {
      async up(db: Kysely<any>) {
        // The console's events list pages by (created_at, id) within a developer's applications, as the uploads
        // list does on uploads_application: the index ends in id too, so that the page's cursor is one range of it
        // and each application's rows come in the list's order (bench/portal.ts). It replaces the index on
        // (application_id, created_at), which it serves as well.
        await db.schema.dropIndex('events_application').execute();
        await db.schema
          .createIndex('events_application')
          .on('events')
          .columns(['application_id', 'created_at', 'id'])
          .execute();
      },
    },
    '0011_jobs_ready': {
      async up(db: Kysely<any>) {
        // The claim's index holds only the heads that may run (a partial index), in the claim's order. The full index
        // on (status, ready, run_at) it replaces led with a column every queued job shares: on a table not yet
        // analysed, PostgreSQL combined it with jobs_key to find a key's queued jobs, reading every queued job
        // for each enqueue and each promotion (0.4 ms, not 0.06, and a drain at a third of its rate).
        await db.schema.dropIndex('jobs_due').execute();
        await db.schema
          .createIndex('jobs_ready')
          .on('jobs')
          .columns(['run_at', 'seq'])
          .where(sql.ref('status'), '=', 'queued')
          .where(sql.ref('ready'), '=', 1)
          .execute();
        // Dead jobs, for the hourly prune (jobs_due served it; without an index it would read every queued job).
        await db.schema
          .createIndex('jobs_dead')
          .on('jobs')
          .column('created_at')
          .where(sql.ref('status'), '=', 'dead')
          .execute();
      },
    },
  };
}
