import type { App } from '../../../infra/http/fastify.js';
import { esc } from '../../../infra/http/pages/index.js';
import * as p from '../pages.js';
import { type Console, type SignedIn, field, hide, html, notFound } from './shared.js';

/** Developer tokens for the developer API: create (shown once), list, revoke. */
export function tokenRoutes(app: App, c: Console): void {
  const { portal } = app.platform;

  const tokensPage = async (who: SignedIn, created?: { name: string; token: string }) => {
    const tokens = await portal.listTokens(who.session.developerId);
    const list = p.table(
      'Developer tokens',
      ['Name', 'Token ID', 'Created', 'Last used', 'Status', ''],
      tokens.map((t) => [
        esc(t.name),
        `<code>${esc(t.id)}</code>`,
        p.time(t.created_at),
        p.time(t.last_used_at),
        p.badge(t.revoked_at ? 'revoked' : 'active'),
        t.revoked_at ? '' : p.postButton(`/portal/tokens/${t.id}/revoke`, who.viewer.csrf, 'Revoke', 'danger small'),
      ]),
      'No developer tokens yet.',
    );
    return p.consolePage(
      who.viewer,
      'tokens',
      'Developer tokens',
      `${created ? `${p.notice(`Token “${esc(created.name)}” is created. Copy it now: it is not shown again.`)}<label for="token">Developer token</label><code id="token" class="secret">${esc(created.token)}</code>` : ''}
<p>A developer token lets a program change your applications through the developer API
(<code>Authorization: Bearer ccd_…</code>): list them, change a <code>notificationUrl</code>, rotate a signing secret.</p>
<form method="post" action="/portal/tokens">${p.hidden(who.viewer.csrf)}<label for="token-name">Name</label>
<input id="token-name" name="name" type="text" required maxlength="80" placeholder="deploy script"><div class="actions"><button type="submit">Create token</button></div></form>
${list}`,
    );
  };

  app.get('/portal/tokens', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    return html(reply, 200, await tokensPage(who));
  });

  app.post('/portal/tokens', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    const name = (field(request.body, 'name', 80) ?? '').trim() || 'token';
    const { token } = await portal.createToken(who.session.developerId, name);
    return html(reply, 201, await tokensPage(who, { name, token }));
  });

  app.post('/portal/tokens/:tokenId/revoke', hide, async (request, reply) => {
    const who = await c.signedIn(request, reply);
    if (!who) return reply;
    if (!(await portal.revokeToken(who.session.developerId, (request.params as { tokenId: string }).tokenId)))
      throw notFound();
    return reply.redirect('/portal/tokens', 303);
  });
}
