import { describe, expect, test } from "bun:test";
import { BusyGate } from "./busy.ts";

describe("BusyGate", () => {
  test("one lease at a time; tryAcquire fails while it is held; release is idempotent", () => {
    const gate = new BusyGate();
    const a = gate.tryAcquire()!;
    expect(gate.busy).toBe(true);
    expect(gate.tryAcquire()).toBeUndefined();
    a.release();
    a.release();
    expect(gate.busy).toBe(false);
    const b = gate.tryAcquire()!;
    a.release(); // a stale lease must not free someone else's
    expect(gate.busy).toBe(true);
    b.release();
  });

  test("`using` releases on every path, exceptions included", () => {
    const gate = new BusyGate();
    expect(() => {
      using _lease = gate.tryAcquire()!;
      throw new Error("boom");
    }).toThrow("boom");
    expect(gate.busy).toBe(false);
  });

  test("acquire waits first come first served; an aborted waiter leaves the queue", async () => {
    const gate = new BusyGate();
    const first = gate.tryAcquire()!;
    const order: string[] = [];
    const ac = new AbortController();
    const b = gate.acquire().then((l) => (order.push("b"), l));
    const gone = gate.acquire(ac.signal).catch(() => order.push("aborted"));
    const c = gate.acquire().then((l) => (order.push("c"), l));
    ac.abort(new Error("client left"));
    await gone;
    first.release();
    (await b).release();
    (await c).release();
    expect(order).toEqual(["aborted", "b", "c"]);
    expect(gate.busy).toBe(false);
  });

  test("onIdle fires when the last holder leaves, onBusy on every grant; whenFree waits for both", async () => {
    const gate = new BusyGate();
    const events: string[] = [];
    gate.onIdle(() => events.push("idle"));
    gate.onBusy(() => events.push("busy"));
    const a = gate.tryAcquire()!;
    const waiting = gate.acquire();
    let free = false;
    const whenFree = gate.whenFree().then(() => (free = true));
    a.release();
    await Bun.sleep(0);
    expect(free).toBe(false);
    (await waiting).release();
    await whenFree;
    expect(events).toEqual(["busy", "busy", "idle"]);
  });

  test("tryAcquireSoon: undefined at once for a holder that is not leaving; waits for one that is", async () => {
    const gate = new BusyGate();
    const a = gate.tryAcquire()!;
    expect(await gate.tryAcquireSoon(60_000)).toBeUndefined(); // not leaving: no wait at all
    a.leaving();
    const soon = gate.tryAcquireSoon(60_000);
    a.release();
    const b = (await soon)!;
    expect(gate.busy).toBe(true);
    // a new holder starts out not leaving; a stale lease cannot mark it
    a.leaving();
    expect(await gate.tryAcquireSoon(60_000)).toBeUndefined();
    b.leaving();
    // the wait is bounded, and leaves the queue when it gives up
    expect(await gate.tryAcquireSoon(10)).toBeUndefined();
    b.release();
    expect(gate.busy).toBe(false);
    const ac = new AbortController();
    const c = gate.tryAcquire()!;
    c.leaving();
    const waiting = gate.tryAcquireSoon(60_000, ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
    c.release();
    expect(gate.busy).toBe(false);
  });

  test("slots: N leases at once; a model change waits for all of them and holds every slot", async () => {
    const gate = new BusyGate({ slots: 2 });
    const a = gate.tryAcquire()!;
    const b = gate.tryAcquire()!;
    expect([gate.busy, gate.running]).toEqual([true, 2]);
    expect(gate.tryAcquire()).toBeUndefined();
    let loaded = false;
    const load = gate.acquire().then((l) => ((loaded = true), l));
    a.release();
    await Bun.sleep(0);
    // one slot is free, but the load is in line first and needs them all
    expect([loaded, gate.tryAcquire()]).toEqual([false, undefined]);
    b.release();
    const lease = await load;
    expect([gate.busy, gate.running]).toEqual([true, 0]);
    expect(gate.tryAcquire()).toBeUndefined();
    lease.release();
    expect(gate.busy).toBe(false);
  });

  test("queue: up to N wait in order, told their place; the rest are refused; a waiter that goes leaves at once", async () => {
    const gate = new BusyGate({ slots: 1, queue: 2, queueTimeoutMs: 60_000 });
    const running = gate.tryAcquire()!;
    const ac = new AbortController();
    const first = gate.enqueue(ac.signal)!;
    const second = gate.enqueue()!;
    expect(gate.enqueue()).toBeUndefined(); // full
    expect([first.position(), second.position()]).toEqual([1, 2]);
    const moves: number[] = [];
    second.onMove((p) => moves.push(p));
    ac.abort();
    expect(await first.lease).toBeUndefined();
    expect([second.position(), moves]).toEqual([1, [1]]);
    const third = gate.enqueue()!; // the place the first left is free again
    running.release();
    const granted = (await second.lease)!;
    expect([gate.running, third.position()]).toEqual([1, 1]);
    granted.release();
    (await third.lease)!.release();
    expect([gate.busy, gate.queued]).toEqual([false, 0]);
  });

  test("queue: the wait is bounded; a cancelled ticket gives back the slot it was granted", async () => {
    const gate = new BusyGate({ slots: 1, queue: 1, queueTimeoutMs: 20 });
    const running = gate.tryAcquire()!;
    expect(await gate.enqueue()!.lease).toBeUndefined();
    expect(gate.queued).toBe(0);
    const ticket = gate.enqueue()!;
    running.release();
    await ticket.lease;
    expect(gate.busy).toBe(true);
    ticket.cancel();
    await Bun.sleep(0);
    expect(gate.busy).toBe(false);
  });
});
