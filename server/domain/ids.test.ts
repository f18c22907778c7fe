import { randomUUID } from 'node:crypto';
import { clientIdFor, newId, newUuid } from './ids';

describe('ids', () => {
  it('newId is the prefix, an underscore and 32 hex digits, never repeated', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newId(i % 2 ? 'slt' : 'lease');
      expect(id).toMatch(i % 2 ? /^slt_[0-9a-f]{32}$/ : /^lease_[0-9a-f]{32}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it("newUuid has randomUUID's form: version 4, RFC 4122 variant, never repeated", () => {
    const form = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(randomUUID()).toMatch(form);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newUuid();
      expect(id).toMatch(form);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it('every hex digit appears in every random position (the bytes are not stuck)', () => {
    const digits = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) [...newId('x').slice(2)].forEach((c, at) => digits[at].add(c));
    for (const position of digits) expect(position.size).toBe(16);
  });

  it('clientIdFor is stable per key and does not show the key', () => {
    expect(clientIdFor('sandbox-key')).toBe(clientIdFor('sandbox-key'));
    expect(clientIdFor('sandbox-key')).not.toContain('sandbox');
    expect(clientIdFor('a')).not.toBe(clientIdFor('b'));
  });
});
