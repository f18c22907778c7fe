import { responseText } from './errors';

describe('responseText', () => {
  it('writes objects and short lists exactly as JSON.stringify does', () => {
    const body = [{ a: 1 }, { b: 'x' }, null, 'y'];
    expect(responseText(body)).toBe(JSON.stringify(body));
    expect(responseText({ c: [1, 2] })).toBe('{"c":[1,2]}');
    expect(responseText([])).toBe('[]');
  });

  it('ends a list early, still valid JSON, before it passes the budget', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ i, pad: 'x'.repeat(90) }));
    const text = responseText(items, 350);
    expect(text.length).toBeLessThanOrEqual(350);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual(items.slice(0, parsed.length));
    expect(parsed.length).toBe(3);
  });
});
