import { sentenceOf } from '@repo/server-kit';
import { checkHelloRequest, greet, MAX_NAME_LENGTH } from '../src/greeter';

describe('greet', () => {
  it('words the greeting as the helloworld examples do', () => {
    expect(greet('Ada')).toBe('Hello Ada');
    expect(greet('world')).toBe('Hello world');
  });

  it('keeps the name as it is, spaces and non-ASCII letters included', () => {
    expect(greet(' Zoë 😀 ')).toBe('Hello  Zoë 😀 ');
  });
});

describe('checkHelloRequest', () => {
  it('accepts an ordinary name', () => {
    expect(checkHelloRequest({ name: 'Ada' })).toBeUndefined();
  });

  it('accepts 256 characters, counted as code points', () => {
    expect(MAX_NAME_LENGTH).toBe(256);
    expect(checkHelloRequest({ name: 'a'.repeat(256) })).toBeUndefined();
    // 256 emoji are 512 UTF-16 units.
    expect(checkHelloRequest({ name: '😀'.repeat(256) })).toBeUndefined();
  });

  it.each([
    ['an empty name', ''],
    ['a name of spaces', '   '],
  ])('rejects %s', (_case, name) => {
    expect(sentenceOf(checkHelloRequest({ name }))).toBe('name must not be empty');
  });

  it.each([
    [257, 'a'.repeat(257)],
    [257, '😀'.repeat(257)],
    [1000, 'b'.repeat(1000)],
  ])('rejects a name of %i characters, saying how long it is', (length, name) => {
    expect(sentenceOf(checkHelloRequest({ name }))).toBe(
      `name must be at most 256 characters, got ${length}`,
    );
  });

  it.each([
    ['a control character', 'Ada\u0007'],
    ['a newline', 'Ada\nLovelace'],
    ['NUL', '\u0000'],
    ['U+FFFD, what invalid UTF-8 decodes to', 'Ad\uFFFD'],
    ['a lone surrogate', 'Ada\uD800'],
  ])('rejects a name with %s', (_case, name) => {
    expect(sentenceOf(checkHelloRequest({ name }))).toBe(
      'name must be valid UTF-8 text without control characters',
    );
  });
});
