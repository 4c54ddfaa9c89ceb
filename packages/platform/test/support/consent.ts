import type { RegisteredApplication } from './onboarding.js';
import type { ApiResponse, TestPlatform } from './platform.js';

/** What these helpers need of a platform: in-process or a process of its own. */
type Platform = Pick<TestPlatform, 'url' | 'api'>;

export const ADMIN = { authorization: 'Bearer test-admin-token-0123456789abcdef' };

export async function provisionInstance(
  platform: Platform,
  name = 'Acme Ltd (Sage 50)',
): Promise<{ instanceId: string; instanceKey: string }> {
  const res = await platform.api('POST', '/api/admin/instances', { name, product: 'Sage 50' }, ADMIN);
  if (res.status !== 201) throw new Error(`instance: ${res.status} ${res.text}`);
  return res.body;
}

export async function newPasscode(platform: Platform, app: RegisteredApplication, secret: string) {
  const res = await platform.api(
    'POST',
    `/api/developers/${app.developerId}/applications/${app.applicationId}/passcodes`,
    { secret },
  );
  if (res.status !== 201) throw new Error(`passcode: ${res.status} ${res.text}`);
  return res.body as { passcodeId: string; passcode: string; expires: string };
}

export const asInstance = (instanceKey: string) => ({ 'x-instance-key': instanceKey });
export const withKey = (apikey: string) => ({ 'x-api-key': apikey });

export function pollApiKey(
  platform: Platform,
  app: RegisteredApplication,
  passcodeId: string,
  secret: string,
): Promise<ApiResponse> {
  return platform.api(
    'POST',
    `/api/developers/${app.developerId}/applications/${app.applicationId}/passcodes/${passcodeId}/apikey`,
    { secret },
  );
}

/** The user's side, played by an instance: look the passcode up and grant. */
export async function consentWith(
  platform: Platform,
  instanceKey: string,
  passcode: string,
): Promise<{ consentId: string; integrationId: string }> {
  const challenge = await platform.api('POST', '/api/connector/consents', { passcode }, asInstance(instanceKey));
  if (challenge.status !== 201) throw new Error(`consent: ${challenge.status} ${challenge.text}`);
  const granted = await platform.api(
    'POST',
    `/api/connector/consents/${challenge.body.consentId}/grant`,
    undefined,
    asInstance(instanceKey),
  );
  if (granted.status !== 201) throw new Error(`grant: ${granted.status} ${granted.text}`);
  return { consentId: challenge.body.consentId, integrationId: granted.body.integrationId };
}

/** A passcode, the instance's consent and the key: the application integrated with the instance. */
export async function integrate(
  platform: Platform,
  app: RegisteredApplication,
  instanceKey: string,
  secret = 'correct horse battery staple',
) {
  const pc = await newPasscode(platform, app, secret);
  const { integrationId } = await consentWith(platform, instanceKey, pc.passcode);
  const key = await pollApiKey(platform, app, pc.passcodeId, secret);
  if (key.status !== 200) throw new Error(`apikey: ${key.status} ${key.text}`);
  return { integrationId, apikey: key.body.apikey as string };
}
