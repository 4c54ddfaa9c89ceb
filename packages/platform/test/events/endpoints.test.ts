import { describe, expect, it } from 'vitest';
import { EndpointGate } from '../../src/features/events/endpoints.js';
import { TestClock } from '../../src/infra/clock.js';

type Entered = Awaited<ReturnType<EndpointGate['enter']>>;
const slotOf = (e: Entered) => {
  if (!('leave' in e)) throw new Error(`expected a slot, got: ${e.reason}`);
  return e;
};
const gate = (opts: Partial<ConstructorParameters<typeof EndpointGate>[0]> = {}, clock = new TestClock()) =>
  new EndpointGate(
    {
      concurrency: 1,
      threshold: 3,
      openMs: 30_000,
      maxOpenMs: 600_000,
      busyDelayMs: 1000,
      busyWaitMs: 60_000,
      ...opts,
    },
    clock,
  );
const URL_A = 'https://a.example.com/hook';

/** The gate in front of each endpoint (events/endpoints.ts); fairness across endpoints is in fairness.test.ts. */
describe('an endpoint’s slots and its line', () => {
  it('hands a freed slot to the delivery waiting for it when the endpoint is answering', async () => {
    const clock = new TestClock();
    const g = gate({}, clock);
    slotOf(await g.enter(URL_A)).leave('ok'); // it answers
    const first = slotOf(await g.enter(URL_A));
    let second: Entered | undefined;
    const waiting = g.enter(URL_A).then((e) => (second = e));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined(); // in the line, not put off
    first.leave('ok');
    await waiting;
    slotOf(second!).leave('ok');
    // The slot was passed on, not freed and taken twice: one in flight again, then none.
    const third = slotOf(await g.enter(URL_A));
    clock.advance(120_000); // the line's window is over
    const fourth = await g.enter('https://a.example.com/other');
    expect(fourth).toMatchObject({ reason: 'endpoint a.example.com has 1 deliveries in flight' });
    third.leave('ok');
  });

  it('puts a delivery off at once when the busy endpoint has not answered lately (a hanging one has no line)', async () => {
    const g = gate(); // busyWaitMs is a minute: a wait would outlast the test
    slotOf(await g.enter(URL_A)); // never answers
    const put = await g.enter(URL_A);
    expect(put).toMatchObject({ reason: 'endpoint a.example.com has 1 deliveries in flight' });
    expect('retryAt' in put && put.retryAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('lines up no more deliveries than the endpoint’s concurrency, each for busyWaitMs at most', async () => {
    const g = gate({ busyWaitMs: 50 });
    slotOf(await g.enter(URL_A)).leave('ok');
    slotOf(await g.enter(URL_A)); // held
    const inLine = g.enter(URL_A);
    const beyond = await g.enter(URL_A); // the line (one, the concurrency) is full
    expect(beyond).toHaveProperty('retryAt');
    expect(await inLine).toHaveProperty('retryAt'); // nobody left within 50 ms
  });

  it('puts the line off when a timeout opens the breaker', async () => {
    const g = gate({ threshold: 1 });
    slotOf(await g.enter(URL_A)).leave('ok');
    const held = slotOf(await g.enter(URL_A));
    const inLine = g.enter(URL_A);
    held.leave('timeout');
    expect(await inLine).toHaveProperty('retryAt');
    expect(await g.enter(URL_A)).toMatchObject({ reason: expect.stringMatching(/timed out 1 times in a row: paused/) });
  });

  it('dates a pause by the platform’s clock, which the queue schedules by, and ends it by that clock', async () => {
    const clock = new TestClock();
    clock.advance(86_400_000); // a day ahead of the system time
    const g = gate({ threshold: 1, openMs: 30_000 }, clock);
    const before = clock.now();
    slotOf(await g.enter(URL_A)).leave('timeout');
    const paused = await g.enter(URL_A);
    const retryAt = 'retryAt' in paused ? paused.retryAt.getTime() : NaN;
    expect(retryAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(retryAt).toBeLessThanOrEqual(clock.now() + 30_000);
    clock.advance(29_000);
    expect(await g.enter(URL_A)).toHaveProperty('retryAt');
    clock.advance(1_000);
    slotOf(await g.enter(URL_A)).leave('ok'); // half-open: one delivery tries it, and it answers
  });
});
