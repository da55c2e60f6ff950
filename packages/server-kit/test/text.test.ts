import { checkText, sentenceOf } from '../src';

const NAME = { field: 'name', maxLength: 5 };

describe('checkText', () => {
  it('accepts ordinary text up to the limit', () => {
    expect(checkText('Ada', NAME)).toBeUndefined();
    expect(checkText('Grace', NAME)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['spaces only', '   '],
    ['tabs and newlines only', '\t\n'],
  ])('rejects a value that is %s unless empty is allowed', (_case, value) => {
    expect(sentenceOf(checkText(value, NAME))).toBe('name must not be empty');
  });

  it('accepts an empty value when allowEmpty is set', () => {
    expect(checkText('', { ...NAME, allowEmpty: true })).toBeUndefined();
  });

  it('still rejects control characters in a whitespace-only value when allowEmpty is set', () => {
    expect(sentenceOf(checkText(' \n ', { ...NAME, allowEmpty: true }))).toBe(
      'name must be valid UTF-8 text without control characters',
    );
  });

  it('counts code points, not UTF-16 units: astral characters count once', () => {
    // Five emoji are ten UTF-16 units.
    expect(checkText('😀😀😀😀😀', NAME)).toBeUndefined();
    expect(sentenceOf(checkText('😀😀😀😀😀😀', NAME))).toBe('name must be at most 5 characters, got 6');
  });

  it('reports the length in code points for a value over the limit', () => {
    expect(sentenceOf(checkText('abcdef', NAME))).toBe('name must be at most 5 characters, got 6');
    expect(sentenceOf(checkText('é'.repeat(300), { field: 'text', maxLength: 256 }))).toBe(
      'text must be at most 256 characters, got 300',
    );
    expect(sentenceOf(checkText('a😀b😀c😀', NAME))).toBe('name must be at most 5 characters, got 6');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a newline', 'Ada\nL'],
    ['a tab', 'Ada\tL'],
    ['DEL', 'Ada\u007f'],
    ['a C1 control', 'Ada\u0085'],
    ['U+FFFD, which stands for invalid UTF-8 on the wire', 'Ad\uFFFDa'],
    ['a lone high surrogate', 'Ada\uD83D'],
    ['a lone low surrogate', '\uDE00Ada'],
  ])('rejects text containing %s', (_case, value) => {
    expect(sentenceOf(checkText(value, NAME))).toBe(
      'name must be valid UTF-8 text without control characters',
    );
  });

  it('accepts non-ASCII letters, spaces inside the text and format characters', () => {
    expect(checkText('Zoë Ø', NAME)).toBeUndefined();
    expect(checkText('👩‍💻', NAME)).toBeUndefined();
  });

  it('reports an over-long value before an invalid character', () => {
    expect(sentenceOf(checkText('\u0000'.repeat(6), NAME))).toBe('name must be at most 5 characters, got 6');
  });
});

describe('the reason of a violation', () => {
  const NAME = { field: 'name', maxLength: 5 };

  it('names the field and the problem in UPPER_SNAKE_CASE', () => {
    expect(checkText('', NAME)).toEqual({
      field: 'name',
      description: 'must not be empty',
      reason: 'NAME_EMPTY',
    });
    expect(checkText('abcdef', NAME)?.reason).toBe('NAME_TOO_LONG');
    expect(checkText('a\u0007', NAME)?.reason).toBe('NAME_INVALID_TEXT');
    expect(checkText('x', { field: 'payload_bytes', maxLength: 0 })?.reason).toBe('PAYLOAD_BYTES_TOO_LONG');
  });
});
