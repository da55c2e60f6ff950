import type { Violation } from './errors';

export interface TextRule {
  /** Field name, as the client knows it (the .proto's), for the error message and its reason. */
  field: string;
  /** Longest accepted value, in Unicode code points. */
  maxLength: number;
  /** Whether an empty (or whitespace-only) value is acceptable. */
  allowEmpty?: boolean;
}

// U+FFFD is what the protobuf decoder puts in place of bytes that are not valid UTF-8; a lone
// surrogate (Cs) can only come from a caller inside the process. Control characters (Cc) have no
// place in a name or a line of text.
const INVALID_TEXT = /[\p{Cc}\p{Cs}\uFFFD]/u;

/**
 * Checks a string field of a request. Returns what is wrong with it (for invalidArgument, with
 * the reason `<FIELD>_EMPTY`, `<FIELD>_TOO_LONG` or `<FIELD>_INVALID_TEXT`), or undefined when
 * it is acceptable.
 */
export function checkText(value: string, rule: TextRule): Violation | undefined {
  if (!rule.allowEmpty && value.trim() === '') {
    return violation(rule.field, 'must not be empty', 'EMPTY');
  }
  // value.length counts UTF-16 units, never fewer than code points: count only when it matters.
  if (value.length > rule.maxLength) {
    const length = codePointLength(value);
    if (length > rule.maxLength) {
      return violation(rule.field, `must be at most ${rule.maxLength} characters, got ${length}`, 'TOO_LONG');
    }
  }
  if (INVALID_TEXT.test(value)) {
    return violation(rule.field, 'must be valid UTF-8 text without control characters', 'INVALID_TEXT');
  }
  return undefined;
}

/**
 * A violation of `field` whose reason is `<FIELD>_<problem>` (`payload_bytes`, `TOO_LARGE`:
 * `PAYLOAD_BYTES_TOO_LARGE`): one rule for every reason a field can have.
 */
export function violation(field: string, description: string, problem: string): Violation {
  return { field, description, reason: `${field.toUpperCase()}_${problem}` };
}

/** The sentence a client reads for a violation: `name must not be empty`. */
export function sentenceOf(found: Violation): string;
export function sentenceOf(found: Violation | undefined): string | undefined;
export function sentenceOf(found: Violation | undefined): string | undefined {
  return found && `${found.field} ${found.description}`;
}

function codePointLength(value: string): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}
