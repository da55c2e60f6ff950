// NOT PRODUCT CODE: part of the tutorial baseline server. It answers PutStream with the same
// summary as our stream service (services/stream/src/put-stream.ts), so the two are comparable
// message for message: count, total UTF-8 bytes, and a preview made of the first three texts, an
// ellipsis when some were left out, and the last one, each cut to 24 characters.

const FIRST_TEXTS = 3;
const PREVIEW_CHARS = 24;

/** What a PutStream answers, with field names as proto-loader's keepCase gives them. */
export interface PutSummaryResult {
  count: number;
  bytes: number;
  preview: string;
}

function clip(text: string): string {
  const chars = Array.from(text);
  return chars.length <= PREVIEW_CHARS ? text : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}

/** Accumulates texts in constant memory: only the first three and the latest are kept. */
export function createPutSummary() {
  let count = 0;
  let bytes = 0;
  const first: string[] = [];
  let latest = '';
  return {
    add(text: string): void {
      count++;
      bytes += Buffer.byteLength(text, 'utf8');
      if (first.length < FIRST_TEXTS) first.push(clip(text));
      else latest = text;
    },
    result(): PutSummaryResult {
      const preview = [...first];
      if (count > FIRST_TEXTS + 1) preview.push('…');
      if (count > FIRST_TEXTS) preview.push(clip(latest));
      return { count, bytes, preview: preview.join(', ') };
    },
  };
}
