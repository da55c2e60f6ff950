/** The words textOfWords draws from: common English, of lengths 2 to 9. */
const WORDS = (
  'the of and to in is was for on are with as his they be at one have this from or had by word ' +
  'but what some we can out other were all there when up use your how said an each she which do ' +
  'their time if will way about many then them write would like so these her long make thing see ' +
  'him two has look more day could go come did number sound no most people over know water than ' +
  'call first who may down side been now find any new work part take get place made live where ' +
  'after back little only round man year came show every good give our under name very through ' +
  'just form sentence great think say help low line differ turn cause much mean before move right'
).split(' ');

/**
 * `bytes` bytes of English-like ASCII text: words of a 136-word vocabulary in an order that a
 * fixed pseudo-random sequence picks, so every run sends the same bytes. It compresses about as
 * much as prose does (gzip: to about a third), unlike a repeated character, which any encoder
 * shrinks to nothing and which would say nothing about real payloads.
 */
export function textOfWords(bytes: number): string {
  let state = 0x9e3779b9;
  const parts: string[] = [];
  let length = 0;
  while (length <= bytes) {
    // xorshift32: fast, deterministic, and irregular enough that gzip finds no long repeats.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const word = WORDS[(state >>> 0) % WORDS.length] ?? 'the';
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}
