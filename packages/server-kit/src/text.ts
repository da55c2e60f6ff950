export interface TextRule {
  /** Field name, as the client knows it, for the error message. */
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
 * Checks a string field of a request. Returns what is wrong with it, as a sentence for the
 * client, or undefined when it is acceptable.
 */
export function checkText(value: string, rule: TextRule): string | undefined {
  if (!rule.allowEmpty && value.trim() === '') {
    return `${rule.field} must not be empty`;
  }
  // value.length counts UTF-16 units, never fewer than code points: count only when it matters.
  if (value.length > rule.maxLength) {
    const length = codePointLength(value);
    if (length > rule.maxLength) {
      return `${rule.field} must be at most ${rule.maxLength} characters, got ${length}`;
    }
  }
  if (INVALID_TEXT.test(value)) {
    return `${rule.field} must be valid UTF-8 text without control characters`;
  }
  return undefined;
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
