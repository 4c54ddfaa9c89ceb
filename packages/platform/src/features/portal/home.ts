import { esc, page } from '../../infra/http/pages/index.js';

/** A step of the guide: what to do, the request, what comes back. */
const step = (id: string, title: string, text: string, request: string, response: string) => `<li id="${id}">
<h3>${title}</h3>
${text}
<pre tabindex="0"><code>${esc(request)}</code></pre>
<p class="muted">Response:</p>
<pre tabindex="0"><code>${esc(response)}</code></pre>
</li>`;

/** The home page: what the platform is and the getting-started guide, every example runnable against this platform. */
export function homePage(base: string, session?: { email: string; csrf: string }): string {
  const B = base;
  return page({
    title: 'Connected Cloud for developers',
    current: 'home',
    session,
    body: `<p class="lead">Connected Cloud links your application to your customers’ accounting products (Sage 50, Sage 200…).
The accounting product uploads snapshots of its data (products, customers…); you download them, and send back
files of your own (orders…) that it processes and answers with a result. Every change reaches you as a signed webhook.</p>
<div class="actions">
<a class="button" href="/portal">Open the console</a>
<a class="button secondary" href="/docs">API reference</a>
<a class="button secondary" href="/api-guide">API guide</a>
<a class="button secondary" href="/postman.json" download="connected-cloud.postman.json">Download Postman collection</a>
</div>

<h2>Getting started</h2>
<p>Seven steps, in the order you meet them. Set two shell variables first:</p>
<pre tabindex="0"><code>${esc(`B=${B}
JSON='content-type: application/json'`)}</code></pre>
<ol class="steps">
${step(
  'register',
  'Register',
  `<p>Send your name, e-mail and your first application. Its <code>notificationUrl</code> receives the events; it must be
<code>https</code>. Open the <code>registrationUrl</code> in a browser and complete the captcha: your
<strong>Developer ID</strong>, <strong>Application ID</strong> and <strong>webhook signing secret</strong> arrive by e-mail.</p>`,
  `curl -s $B/api/developers -H "$JSON" -d '{
  "name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines Ltd",
  "application": { "name": "ShopSync", "solution": "ecommerce",
                   "notificationUrl": "https://shop.example.com/connected-cloud/events" } }'`,
  `202 {"registrationUrl":"${B}/register/…","expires":"…"}`,
)}
${step(
  'passcode',
  'Ask for a passcode',
  `<p>Your application asks for a passcode and shows it to its user. The <code>secret</code> (16–256 characters) is
yours: keep it, you need it to rotate the key later.</p>`,
  `curl -s $B/api/developers/dev_…/applications/app_…/passcodes -H "$JSON" \\
  -d '{"secret":"a secret of 16+ characters"}'`,
  `201 {"passcodeId":"pc_…","passcode":"PMWG-TBVN","expires":"…"}`,
)}
${step(
  'consent',
  'Your user consents; you receive the API key',
  `<p>The user types the passcode into their accounting product and grants access. The API key is sent to your
<code>notificationUrl</code> as the event <code>apikey.issued</code>. Cannot receive webhooks? Poll for it:</p>`,
  `curl -s $B/api/developers/dev_…/applications/app_…/passcodes/pc_…/apikey -H "$JSON" \\
  -d '{"secret":"a secret of 16+ characters"}'`,
  `202 {"status":"pending"}                                   until the user grants, then
200 {"apikey":"cck_…","integrationId":"int_…","expires":"…"}`,
)}
${step(
  'rotate',
  'Rotate the API key before it expires',
  `<p>Keys live 90 days; responses carry <code>X-Api-Key-Expires</code> in the last 7. The old key keeps working for 24 h
after a rotation, and repeating the call returns the same new key.</p>`,
  `curl -s -X PATCH $B/api/apikey -H "$JSON" \\
  -d '{"initialApikey":"cck_…","secret":"a secret of 16+ characters"}'`,
  `200 {"apikey":"cck_…","expires":"…","previousKeyValidUntil":"…"}`,
)}
${step(
  'download',
  'Download the data',
  `<p>List the current file of every scope, then stream one. Downloads support <code>ETag</code>, <code>Range</code> and
gzip; <code>/changes</code> gives only what changed between two versions, as NDJSON.</p>`,
  `curl -s $B/api/files -H 'x-api-key: cck_…'
curl -s $B/api/scopes/products/content -H 'x-api-key: cck_…' --compressed -o products.json`,
  `200 [{"fileId":"file_…","scope":"products","records":1200,"size":481233,"sha256":"…",
      "createdAt":"…","previousFileId":null}]`,
)}
${step(
  'upload',
  'Upload a file',
  `<p>Send a JSON array of records of an upload type of your solution. It is stored at once and validated in the
background; an <code>Idempotency-Key</code> makes a retry safe.</p>`,
  `curl -s "$B/api/uploads?type=orders" -H 'x-api-key: cck_…' -H "$JSON" \\
  -H 'Idempotency-Key: batch-42' --data-binary @orders.json`,
  `202 {"fileId":"upl_…","status":"uploaded","trackingUrl":"${B}/api/uploads/upl_…/tracking"}`,
)}
${step(
  'track',
  'Track it to its result',
  `<p>The upload moves <code>uploaded → validating → valid</code>, then the accounting product takes it:
<code>pending → downloaded → processing → accepted</code> (or <code>invalid</code>, <code>failed</code>). You get
<code>upload.completed</code> at the end; the result file says what became of each record.</p>`,
  `curl -s $B/api/uploads/upl_…/tracking -H 'x-api-key: cck_…'
curl -s $B/api/uploads/upl_…/result -H 'x-api-key: cck_…'`,
  `200 {"fileId":"upl_…","type":"orders","stage":"processing","status":"accepted","progress":100,
     "records":2,"errorCount":0,"errors":[],"downloadResultUrl":"${B}/api/uploads/upl_…/result",…}`,
)}
</ol>

<h2>Verify the events you receive</h2>
<p>Every event is signed per <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> with your
<code>whsec_</code> secret. With the <code>standardwebhooks</code> package:</p>
<pre tabindex="0"><code>${esc(`import { Webhook } from 'standardwebhooks';
const event = new Webhook(process.env.WEBHOOK_SECRET).verify(rawBody, headers); // throws if forged
// event.type: apikey.issued, file.available, upload.validated, upload.completed…`)}</code></pre>
<p>After you rotate the secret in the console, events carry a signature with each secret for 24 h, so a receiver
that still knows only one of them keeps working while you deploy the new one.</p>

<h2>The console</h2>
<p><a href="/portal">Sign in</a> with the e-mail address you registered with: no password, we send you a link.
There you see your applications, change a <code>notificationUrl</code>, rotate the signing secret, read why an event
failed and resend it, follow uploads, download scope files and create developer tokens (<code>ccd_…</code>) for the
developer API.</p>`,
  });
}
