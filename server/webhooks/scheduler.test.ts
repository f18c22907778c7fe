/** The shared store's poll: one pass over the due tenants at a time, however slow a pass is. */
import { DeliveryScheduler, type SchedulerParts } from './scheduler';

it('starts no second pass over the due tenants while one is under way, and starts one after it', async () => {
  let looks = 0;
  let answer: (keys: string[]) => void = () => undefined;
  const store = {
    dueTenants: () => {
      looks += 1;
      return new Promise<string[]>((resolve) => {
        answer = resolve;
      });
    },
  };
  const scheduler = new DeliveryScheduler({ store, stopped: () => false } as unknown as SchedulerParts);
  const first = scheduler.pumpAll();
  const second = scheduler.pumpAll();
  expect(second).toBe(first);
  expect(looks).toBe(1);
  answer([]);
  await first;
  const third = scheduler.pumpAll();
  expect(third).not.toBe(first);
  expect(looks).toBe(2);
  answer([]);
  await third;
});
