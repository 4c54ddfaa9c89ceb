// Times are ISO 8601 UTC text with milliseconds in both dialects, so they compare and sort as strings.
type Time = string;

export interface DevelopersTable {
  id: string;
  name: string;
  email: string;
  company: string | null;
  status: 'pending' | 'active';
  created_at: Time;
  activated_at: Time | null;
}

export interface ApplicationsTable {
  id: string;
  developer_id: string;
  name: string;
  description: string | null;
  solution: string;
  notification_url: string;
  status: 'pending' | 'active';
  /** SecretBox-sealed whsec_ secret; null while pending. */
  webhook_secret_sealed: string | null;
  created_at: Time;
}

export interface RegistrationsTable {
  token_hash: string;
  developer_id: string;
  application_id: string;
  expires_at: Time;
  completed_at: Time | null;
  created_at: Time;
}

/** Captcha solutions already used, kept until their challenge expires, so that none is accepted twice. */
export interface CaptchaSpentTable {
  signature_hash: string;
  expires_at: Time;
}

export interface Database {
  developers: DevelopersTable;
  applications: ApplicationsTable;
  registrations: RegistrationsTable;
  captcha_spent: CaptchaSpentTable;
}

