/** Slots: availability hands them out, check reads them, extend holds them longer. */
import { epochMilliseconds as ms, formatInstant, type Instant } from '../../../spec/contract';
import { differs, documented, error, expiryFork, firstOf, type Answer, type Response } from './answers';
import { surelyBefore, type Now, type SlotModel, type TenantModel } from './state';

/** Epoch milliseconds (fraction kept) back to a date-time with every digit the number holds. */
function written(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  const instant: Instant = { seconds, nanos: Math.round((epochMs - seconds * 1000) * 1_000_000) };
  return formatInstant(instant, { fractionDigits: 6 });
}

export const slotRules = {
  getAvailability(t: TenantModel, now: Now): Answer[] {
    return [
      {
        status: 200,
        check: (r) => {
          const slots = documented(r, 'getAvailability', 200);
          return !Array.isArray(slots) || slots.length === 0
            ? 'availability for a four-hour window gave no slot'
            : slots.find((s) => t.slots.some((known) => known.id === s.id))
              ? 'a slot id was given out twice'
              : slots.find((s) => !surelyBefore(now, ms(s.expires_at)))
                ? 'a slot was handed out already expired'
                : undefined;
        },
        apply: (r) => {
          for (const s of documented(r, 'getAvailability', 200))
            t.slots.push({
              id: s.id,
              expiresAt: ms(s.expires_at),
              originalExpiresAt: ms(s.expires_at),
              heldAt: now.ms,
              extended: false,
            });
        },
      },
    ];
  },

  checkSlot(slot: SlotModel | undefined, now: Now): Answer[] {
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    const view = (status: string) => (r: Response) => {
      const check = documented(r, 'checkSlot', 200);
      return firstOf(
        differs('status', status, check.status),
        differs('valid', status === 'AVAILABLE', check.valid),
        differs('expires_at', slot.expiresAt, ms(check.expires_at)),
        differs('extended', slot.extended, check.extended),
      );
    };
    if (slot.usedBy) return [{ status: 200, check: view('USED') }];
    return expiryFork(slot, now, { status: 200, check: view('AVAILABLE') }, { status: 200, check: view('EXPIRED') });
  },

  extendSlot(slot: SlotModel | undefined, now: Now): Answer[] {
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    if (slot.usedBy) return [error(409, 'SLOT_ALREADY_USED')];
    const hold = slot.originalExpiresAt - slot.heldAt;
    const extended: Answer = {
      status: 200,
      // Three holds past the original expiry; the hold is known only to within the clock's slack.
      check: (r) => {
        const check = documented(r, 'extendSlot', 200);
        return Math.abs(ms(check.expires_at) - (slot.originalExpiresAt + 3 * hold)) > 2 * now.slackMs + 1000
          ? `expires_at: expected the original expiry plus three holds (${written(slot.originalExpiresAt + 3 * hold)}), got ${check.expires_at}`
          : differs('extended', true, check.extended);
      },
      apply: (r) => {
        slot.expiresAt = ms(documented(r, 'extendSlot', 200).expires_at);
        slot.extended = true;
      },
    };
    return expiryFork(slot, now, extended, error(417, 'SLOT_EXPIRED'));
  },
};
