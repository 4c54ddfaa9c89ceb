import { Readable } from 'node:stream';
import { beforeAll, expect, it } from 'vitest';
import { TestClock } from '../../src/infra/clock.js';
import { newId } from '../../src/infra/secrets/random.js';
import { integrate, provisionInstance } from '../support/consent.js';
import { registerApplication, type RegisteredApplication } from '../support/onboarding.js';
import { order } from '../support/orders.js';
import { usePlatformWithMail } from '../support/platform.js';
import { signIn, type FormClient } from '../support/portal.js';
import { describeEachStore } from '../support/stores.js';

/** The test's clock, held at one instant while rows are seeded, so that many share their created_at. */
class HeldClock extends TestClock {
  held: number | undefined;
  override now(): number {
    return this.held ?? super.now();
  }
}

const EVENTS = 2_500;
const UPLOADS = 2_000;
const PAGE = 50;
/** The first rows seeded share one instant, across three pages; after them rows come seven to an instant. */
const BIG_TIE = 120;
const instantOf = (i: number) => (i < BIG_TIE ? 0 : 1 + Math.floor((i - BIG_TIE) / 7));

interface Walk {
  pages: string[][];
  /** The Next page links followed, as given. */
  links: string[];
}

/**
 * Follows the console's Next page links from `start` to the last page (or until `maxLinks` links were followed),
 * collecting the IDs each page lists.
 */
async function walk(client: FormClient, start: string, idPattern: RegExp, maxLinks = Infinity): Promise<Walk> {
  const pages: string[][] = [];
  const links: string[] = [];
  let path: string | undefined = start;
  while (path) {
    const res = await client.get(path);
    expect(res.status, path).toBe(200);
    pages.push([...res.text.matchAll(idPattern)].map((m) => m[1]!));
    const next = /<a class="button secondary small" href="([^"]+)">Next page<\/a>/.exec(res.text)?.[1];
    path = links.length < maxLinks ? next?.replaceAll('&amp;', '&') : undefined;
    if (path) links.push(path);
    if (pages.length > 200) throw new Error(`${start}: more than 200 pages`);
  }
  return { pages, links };
}

describeEachStore('the console pages through thousands of rows', (store) => {
  const clock = new HeldClock();
  const ctx = usePlatformWithMail(store, {
    env: { ALLOW_INSECURE_NOTIFICATION_URLS: 'true', RATE_LIMIT_UPLOADS: 'off' },
    clock,
  });
  let a: RegisteredApplication;
  let a2: string;
  let aClient: FormClient;
  let bClient: FormClient;
  const seeded = { events: new Set<string>(), uploads: new Set<string>() };

  // The developer's rows in the store's own order (its collation decides between IDs of one instant): what the
  // pages must show, in this order.
  const db = () => ctx.platform.platform.store.db;
  const eventsOfA = (filter: { type?: string; applicationId?: string } = {}) => {
    let q = db()
      .selectFrom('events as e')
      .innerJoin('applications as ap', 'ap.id', 'e.application_id')
      .select(['e.id', 'e.created_at', 'e.type', 'e.status', 'e.attempts'])
      .where('ap.developer_id', '=', a.developerId);
    if (filter.type) q = q.where('e.type', '=', filter.type);
    if (filter.applicationId) q = q.where('e.application_id', '=', filter.applicationId);
    return q.orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').execute();
  };
  const uploadsOfA = () =>
    db()
      .selectFrom('uploads as u')
      .innerJoin('applications as ap', 'ap.id', 'u.application_id')
      .select(['u.id', 'u.created_at'])
      .where('ap.developer_id', '=', a.developerId)
      .orderBy('u.created_at', 'desc')
      .orderBy('u.id', 'desc')
      .execute();

  beforeAll(async () => {
    const { platform } = ctx.platform;
    // Port 9 refuses: nothing is listening for these applications' webhooks.
    a = await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/a',
      email: 'a@example.com',
    });
    await registerApplication(ctx.platform.url, ctx.mail, {
      notificationUrl: 'http://127.0.0.1:9/b',
      email: 'b@example.com',
    });
    const { instanceId, instanceKey } = await provisionInstance(ctx.platform);
    const { apikey } = await integrate(ctx.platform, a, instanceKey);
    aClient = await signIn(ctx.platform.url, ctx.mail, 'a@example.com');
    bClient = await signIn(ctx.platform.url, ctx.mail, 'b@example.com');
    const created = await aClient.post(
      '/portal/applications',
      { name: 'Second App', solution: 'ecommerce', notificationUrl: 'http://127.0.0.1:9/a2' },
      '/portal/applications/new',
    );
    expect(created.status).toBe(201);
    a2 = /Application ID <code>(app_[0-9A-Za-z]+)<\/code>/.exec(created.text)![1]!;
    const third = await aClient.post(
      '/portal/applications',
      { name: 'Third App', solution: 'ecommerce', notificationUrl: 'http://127.0.0.1:9/a3' },
      '/portal/applications/new',
    );
    expect(third.status).toBe(201);
    const a3 = /Application ID <code>(app_[0-9A-Za-z]+)<\/code>/.exec(third.text)![1]!;

    // The worker is stopped before seeding: thousands of deliveries to a refusing port (and their retries) would
    // load the machine and change the events' status while the pages are read. Every job stays queued.
    await platform.queue.stop();

    // Events through the outbox, as the platform records them, in transactions of 100, in turn for the developer's
    // three applications; one in five is of another type, for the filter. The outbox times one application's events
    // 1 ms apart at least (their order of delivery), so ties are between applications: with three, every run of a
    // tied instant holds three rows and page breaks (every 50) fall inside such runs.
    const base = Date.now() - 86_400_000;
    for (let from = 0; from < EVENTS; from += 100) {
      await platform.store.db.transaction().execute(async (tx) => {
        for (let i = from; i < Math.min(EVENTS, from + 100); i++) {
          clock.held = base + instantOf(i) * 1000;
          const applicationId = [a.applicationId, a2, a3][i % 3]!;
          const id =
            i % 5 === 0
              ? await platform.events.record(tx, {
                  applicationId,
                  type: 'consent.denied',
                  data: { passcodeId: newId('pc') },
                })
              : await platform.events.record(tx, { applicationId, type: 'webhook.test', data: {} });
          seeded.events.add(id);
        }
      });
    }

    // Uploads through the uploads service, as POST /api/uploads makes them (its bytes stored, its row and its
    // validation job in one transaction), with the principal the API key resolves to.
    const check = await platform.apikeys.check(apikey);
    if (!('principal' in check)) throw new Error(check.detail);
    expect(check.principal.instanceId).toBe(instanceId);
    const body = JSON.stringify([order(1)]);
    // The uploads of one instant are made together, twenty at a time, as concurrent requests would make them.
    for (let i = 0; i < UPLOADS;) {
      clock.held = base + instantOf(i) * 1000;
      const batch: number[] = [];
      for (; i < UPLOADS && batch.length < 20 && base + instantOf(i) * 1000 === clock.held; i++) batch.push(i);
      await Promise.all(
        batch.map(async (n) => {
          const res = await platform.uploads.create(check.principal, { type: 'orders' }, {}, Readable.from([body]));
          if (res.code !== 202) throw new Error(`upload ${n}: ${res.code}`);
          seeded.uploads.add(res.body.fileId);
        }),
      );
    }
    clock.held = undefined;
  }, 300_000);

  it('lists every event once, newest first, fifty to a page, to a last page without a next link', async () => {
    const expected = await eventsOfA();
    expect(expected.length).toBeGreaterThanOrEqual(EVENTS); // the seeded ones, and the key's apikey.issued
    const { pages, links } = await walk(aClient, '/portal/events', /href="\/portal\/events\/(evt_[0-9A-Za-z]+)"/g);
    const listed = pages.flat();

    expect(pages).toHaveLength(Math.ceil(expected.length / PAGE));
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(PAGE);
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
    expect(pages.at(-1)!.length).toBeLessThanOrEqual(PAGE);
    expect(links).toHaveLength(pages.length - 1);
    for (const link of links) expect(link).toMatch(/^\/portal\/events\?after=[0-9A-Za-z_-]+$/);

    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(expected.map((e) => e.id));
    for (const id of seeded.events) expect(listed).toContain(id);
    // Nothing was sent meanwhile: the seeded events wait, untried, their deliveries queued.
    const untried = expected.filter((e) => seeded.events.has(e.id) && e.status === 'pending' && e.attempts === 0);
    expect(untried).toHaveLength(EVENTS);
    const queued = await db()
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'deliver-event')
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    expect(Number(queued.n)).toBeGreaterThanOrEqual(EVENTS);

    // Newest first, and pages break inside runs of one instant: the ID decides there, and nothing is lost.
    const createdAt = new Map(expected.map((e) => [e.id, e.created_at]));
    for (let i = 1; i < listed.length; i++)
      expect(createdAt.get(listed[i - 1]!)! >= createdAt.get(listed[i]!)!, `row ${i}`).toBe(true);
    const tiedBreaks = pages
      .slice(1)
      .filter((page, k) => createdAt.get(pages[k]!.at(-1)!) === createdAt.get(page[0]!)).length;
    expect(tiedBreaks).toBeGreaterThanOrEqual(3);
  });

  it('pages a filtered list the same way, keeping the filter on every link', async () => {
    for (const [start, filter, param] of [
      [
        '/portal/events?type=consent.denied',
        { type: 'consent.denied' },
        /^\/portal\/events\?type=consent\.denied&after=/,
      ],
      [
        `/portal/events?application=${a2}`,
        { applicationId: a2 },
        new RegExp(`^/portal/events\\?application=${a2}&after=`),
      ],
    ] as const) {
      const expected = await eventsOfA(filter);
      expect(expected.length).toBeGreaterThanOrEqual(10 * PAGE);
      const { pages, links } = await walk(aClient, start, /href="\/portal\/events\/(evt_[0-9A-Za-z]+)"/g);
      expect(pages).toHaveLength(Math.ceil(expected.length / PAGE));
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(PAGE);
      expect(pages.at(-1)!.length).toBeLessThanOrEqual(PAGE);
      for (const link of links) expect(link).toMatch(param);
      expect(pages.flat()).toEqual(expected.map((e) => e.id));
    }
    const denied = new Set((await eventsOfA({ type: 'consent.denied' })).map((e) => e.id));
    expect([...seeded.events].filter((id) => denied.has(id))).toHaveLength(EVENTS / 5);
  });

  it('lists every upload once, newest first, fifty to a page', async () => {
    const expected = await uploadsOfA();
    expect(expected).toHaveLength(UPLOADS);
    const { pages, links } = await walk(aClient, '/portal/uploads', /href="\/portal\/uploads\/(upl_[0-9A-Za-z]+)"/g);
    expect(pages).toHaveLength(UPLOADS / PAGE);
    for (const page of pages) expect(page).toHaveLength(PAGE);
    expect(links).toHaveLength(pages.length - 1);
    const listed = pages.flat();
    expect(new Set(listed).size).toBe(UPLOADS);
    expect(listed).toEqual(expected.map((u) => u.id));
    expect(new Set(listed)).toEqual(seeded.uploads);
  });

  it('shows another developer none of them, whatever the cursor', async () => {
    const { links } = await walk(aClient, '/portal/events', /href="\/portal\/events\/(evt_[0-9A-Za-z]+)"/g, 11);
    const uploads = await walk(aClient, '/portal/uploads', /href="\/portal\/uploads\/(upl_[0-9A-Za-z]+)"/g, 11);
    for (const path of [
      '/portal/events',
      `/portal/events?application=${a.applicationId}`,
      links[10]!,
      '/portal/uploads',
      uploads.links[10]!,
    ]) {
      const res = await bClient.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toMatch(/\/portal\/(events|uploads)\/(evt|upl)_/);
      expect(res.text, path).not.toContain('Next page');
    }
  });
});
