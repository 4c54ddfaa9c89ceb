import type { Credential, OperationId } from '@connected-cloud/contract';

/** One request of the guide: an operation, the status it should answer, and what its answer fills. */
export interface GuideStep {
  op: OperationId;
  /** Unique within the collection (a retry names the request to run again). */
  name: string;
  status: number;
  description?: string;
  /** Collection variable ← JavaScript expression over `json` (the parsed answer). */
  store?: Record<string, string>;
  query?: Record<string, string>;
  /** Overrides the folder's auth (another party's step). */
  auth?: Credential;
  /** Asked again (every second, up to 30 times) until this expression over `json` and `status` holds. */
  until?: string;
}

export interface GuideFolder {
  name: string;
  description: string;
  auth: Credential;
  steps: GuideStep[];
}

/** Collection variables: the contract's (section 9) and the few the guide adds. */
export const guideVariables: Record<string, string> = {
  baseUrl: 'the platform, e.g. http://127.0.0.1:8080',
  developerId: 'from the registration e-mail',
  applicationId: 'from the registration e-mail',
  secret: 'your own secret for this integration (16+ characters); needed again to rotate the key',
  passcodeId: 'filled by "Create a passcode"',
  passcode: 'filled by "Create a passcode": show it to the user',
  apiKey: 'filled by "Poll for the API key" (or from the apikey.issued event), then by the rotation',
  instanceKey: 'the instance’s key, from the operator',
  adminToken: 'the operator’s admin token',
  developerToken: 'a developer token (ccd_…), made in the portal under Developer tokens: shown once',
  fileId: 'filled by "List the current files"',
  uploadId: 'filled by "Send orders"',
  consentId: 'filled by the instance’s look-up',
  integrationId: 'filled with the API key',
  eventId: 'filled by "List events"',
  registrationUrl: 'filled by "Start a registration"',
  registrationToken: 'filled by "Start a registration"',
  instanceId: 'filled by "Provision an instance"',
};

const done = "['accepted', 'failed'].includes(json.status)";

/**
 * The guide's order (contract §9) and which variable each answer fills. With the OpenAPI document it makes the
 * Postman collection: change the routes and the collection follows; change the guide here.
 */
export const guide: GuideFolder[] = [
  {
    name: '1. Onboarding',
    auth: 'none',
    description:
      'Register once. "Start a registration" answers with a registrationUrl: open it in a browser, solve the captcha ' +
      'and complete the registration (a browser step, not in this collection). The e-mail carries your Developer ID ' +
      'and Application ID: set `developerId` and `applicationId`, then carry on.',
    steps: [
      {
        op: 'registerDeveloper',
        name: 'Start a registration',
        status: 202,
        store: { registrationUrl: 'json.registrationUrl', registrationToken: "json.registrationUrl.split('/').pop()" },
      },
      { op: 'getRegistrationPage', name: 'The registration page', status: 200 },
      { op: 'getRegistrationChallenge', name: 'The registration captcha', status: 200 },
      { op: 'getApplication', name: 'Your application', status: 200 },
      { op: 'createApplication', name: 'Register another application', status: 201 },
      { op: 'listSolutions', name: 'List the solutions', status: 200 },
      { op: 'getSolution', name: 'One solution', status: 200 },
      { op: 'getSchema', name: 'A record schema', status: 200 },
    ],
  },
  {
    name: '2. Passcode and consent',
    auth: 'none',
    description:
      'Ask for a passcode and show it to your user, who types it into the accounting product and grants consent. ' +
      'The API key arrives at your notificationUrl (apikey.issued); "Poll for the API key" is the fallback.',
    steps: [
      {
        op: 'createPasscode',
        name: 'Create a passcode',
        status: 201,
        store: { passcodeId: 'json.passcodeId', passcode: 'json.passcode' },
      },
      {
        op: 'pollApiKey',
        name: 'Poll for the API key',
        status: 200,
        until: 'status === 200',
        store: { apiKey: 'json.apikey', integrationId: 'json.integrationId' },
      },
    ],
  },
  {
    name: '3. API key rotation',
    auth: 'apiKey',
    description:
      'Keys expire (APIKEY_TTL). Rotate with the key and your secret; the old key stays valid for APIKEY_GRACE.',
    steps: [
      { op: 'getIntegration', name: 'Your integration', status: 200 },
      { op: 'rotateApiKey', name: 'Rotate the API key', status: 200, auth: 'none', store: { apiKey: 'json.apikey' } },
    ],
  },
  {
    name: '4. Downloading data',
    auth: 'apiKey',
    description:
      'The instance delivers scope files (products, customers…); each new one is announced by file.available.',
    steps: [
      {
        op: 'listFiles',
        name: 'List the current files',
        status: 200,
        until: "json.some((f) => f.scope === 'products')",
        store: { fileId: "json.find((f) => f.scope === 'products').fileId" },
      },
      { op: 'getFile', name: 'A file', status: 200 },
      { op: 'getFileContent', name: 'A file’s content', status: 200 },
      { op: 'getScopeContent', name: 'The current products', status: 200 },
      { op: 'getFileChanges', name: 'What changed', status: 200, query: { since: '{{fileId}}' } },
    ],
  },
  {
    name: '5. Uploading files',
    auth: 'apiKey',
    description:
      'Send orders as a JSON array; they are stored at once (202), validated, then processed by the instance.',
    steps: [
      {
        op: 'createUpload',
        name: 'Validate orders only',
        status: 200,
        query: { type: 'orders', validateOnly: 'true' },
      },
      {
        op: 'createUpload',
        name: 'Send orders',
        status: 202,
        query: { type: 'orders' },
        store: { uploadId: 'json.fileId' },
      },
    ],
  },
  {
    name: '6. Tracking',
    auth: 'apiKey',
    description: 'Follow the upload to its result: validation, then the instance’s processing, then the result file.',
    steps: [
      { op: 'getTracking', name: 'Track the upload', status: 200, until: done },
      { op: 'listUploads', name: 'List uploads', status: 200 },
      { op: 'getUploadResult', name: 'The result', status: 200 },
    ],
  },
  {
    name: '7. Events',
    auth: 'apiKey',
    description: 'Every event sent to your notificationUrl, with its delivery attempts; resend one, or send a test.',
    steps: [
      { op: 'listEvents', name: 'List events', status: 200, store: { eventId: 'json[0].eventId' } },
      { op: 'getEvent', name: 'An event and its attempts', status: 200 },
      { op: 'resendEvent', name: 'Resend an event', status: 202 },
      { op: 'sendTestEvent', name: 'Send a test event', status: 202, auth: 'none' },
    ],
  },
  {
    name: '8. The instance’s side',
    auth: 'instanceKey',
    description:
      'What the accounting product’s connector does, with its instance key: look a passcode up, grant or deny, ' +
      'deliver scope files, take uploads from its inbox, report progress and upload the result.',
    steps: [
      { op: 'listConnectorIntegrations', name: 'The instance’s integrations', status: 200 },
      { op: 'putScopeFile', name: 'Deliver products', status: 201 },
      {
        op: 'createUpload',
        name: 'Send orders for the instance',
        status: 202,
        auth: 'apiKey',
        query: { type: 'orders' },
        store: { uploadId: 'json.fileId' },
      },
      {
        op: 'getInbox',
        name: 'The inbox',
        status: 200,
        query: { wait: '5' },
        until: "json.some((u) => u.fileId === pm.collectionVariables.get('uploadId'))",
      },
      { op: 'claimUpload', name: 'Claim the upload', status: 200 },
      { op: 'getUploadContent', name: 'The upload’s content', status: 200 },
      { op: 'reportProgress', name: 'Report progress', status: 200 },
      { op: 'putUploadResult', name: 'Upload the result', status: 200, query: { status: 'accepted' } },
      {
        op: 'createPasscode',
        name: 'A passcode to deny',
        status: 201,
        auth: 'none',
        store: { passcodeId: 'json.passcodeId', passcode: 'json.passcode' },
      },
      { op: 'lookUpConsent', name: 'Look the passcode up', status: 201, store: { consentId: 'json.consentId' } },
      { op: 'denyConsent', name: 'Deny consent', status: 200 },
      {
        op: 'createPasscode',
        name: 'A passcode to grant',
        status: 201,
        auth: 'none',
        store: { passcodeId: 'json.passcodeId', passcode: 'json.passcode' },
      },
      { op: 'lookUpConsent', name: 'Look the second passcode up', status: 201, store: { consentId: 'json.consentId' } },
      { op: 'grantConsent', name: 'Grant consent', status: 201, store: { integrationId: 'json.integrationId' } },
      { op: 'revokeIntegration', name: 'Revoke the integration', status: 204 },
    ],
  },
  {
    name: '9. Administration',
    auth: 'adminToken',
    description: 'The operator provisions instances: the instance key is shown once.',
    steps: [
      { op: 'createInstance', name: 'Provision an instance', status: 201, store: { instanceId: 'json.instanceId' } },
      { op: 'listInstances', name: 'List instances', status: 200 },
      { op: 'deleteInstance', name: 'Delete the instance', status: 204 },
    ],
  },
  {
    name: '10. The developer API',
    auth: 'developerToken',
    description:
      'What you own, with a developer token (ccd_…) made in the portal (/portal, Developer tokens): the Developer ID ' +
      'alone changes nothing, since whoever sets a notificationUrl receives the next API key.',
    steps: [
      { op: 'listApplications', name: 'Your applications', status: 200 },
      { op: 'updateApplication', name: 'Change an application', status: 200 },
      { op: 'rotateWebhookSecret', name: 'Rotate the webhook secret', status: 201 },
    ],
  },
  {
    name: '11. Operations',
    auth: 'none',
    description: 'Probes, metrics and the descriptions of this API.',
    steps: [
      { op: 'getHealth', name: 'Health', status: 200 },
      { op: 'getReadiness', name: 'Readiness', status: 200 },
      { op: 'getMetrics', name: 'Metrics', status: 200 },
      { op: 'getOpenApi', name: 'The OpenAPI document', status: 200 },
      { op: 'getPostmanCollection', name: 'This collection', status: 200 },
      { op: 'getHomePage', name: 'The home page', status: 200 },
    ],
  },
];

/** Operations the collection leaves to a browser. */
export const browserOnly: OperationId[] = ['completeRegistration'];
