import { PutSummary } from '../src/put-stream';

function summarize(texts: readonly string[]) {
  const summary = new PutSummary();
  for (const text of texts) summary.add(text);
  return summary.result();
}

const alphabet = [...'abcdefghijklmnopqrstuvwxyz'];

describe('PutSummary', () => {
  it('summarizes no messages as zero of everything', () => {
    expect(summarize([])).toEqual({ count: 0, bytes: 0, preview: '' });
  });

  it('lists up to four texts in full', () => {
    expect(summarize(['a'])).toEqual({ count: 1, bytes: 1, preview: 'a' });
    expect(summarize(['a', 'b', 'c'])).toEqual({ count: 3, bytes: 3, preview: 'a, b, c' });
    expect(summarize(['a', 'b', 'c', 'd'])).toEqual({ count: 4, bytes: 4, preview: 'a, b, c, d' });
  });

  it('shows the first three texts, an ellipsis and the last one past four', () => {
    expect(summarize(['a', 'b', 'c', 'd', 'e'])).toEqual({ count: 5, bytes: 5, preview: 'a, b, c, …, e' });
    expect(summarize(alphabet)).toEqual({ count: 26, bytes: 26, preview: 'a, b, c, …, z' });
  });

  it('counts bytes as UTF-8, not as characters or UTF-16 units', () => {
    // 1 + 2 + 3 + 4 bytes; 0 for the empty text, which still counts as a message.
    expect(summarize(['a', 'é', '€', '😀', ''])).toEqual({
      count: 5,
      bytes: 10,
      preview: 'a, é, €, …, ',
    });
  });

  it('keeps a text of 24 characters whole and cuts a longer one to 23 and an ellipsis', () => {
    const exact = 'x'.repeat(24);
    const long = `${'y'.repeat(23)}z${'tail'.repeat(100)}`;
    expect(summarize([exact, long]).preview).toBe(`${exact}, ${'y'.repeat(23)}…`);
  });

  it('shortens the last text the same way as the first ones', () => {
    const texts = ['a', 'b', 'c', 'd', 'q'.repeat(1000)];
    expect(summarize(texts).preview).toBe(`a, b, c, …, ${'q'.repeat(23)}…`);
  });

  it('cuts astral texts between characters, never inside a surrogate pair', () => {
    const whole = '😀'.repeat(24);
    const long = '😀'.repeat(25);
    const mixed = `a${'😀'.repeat(30)}`;
    const { preview } = summarize([whole, long, mixed]);
    expect(preview).toBe(`${whole}, ${'😀'.repeat(23)}…, a${'😀'.repeat(22)}…`);
    expect(preview).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('counts the bytes of the whole texts, not of their shortened previews', () => {
    expect(summarize(['😀'.repeat(100)])).toMatchObject({ count: 1, bytes: 400 });
  });
});
