import type { ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import type { PutStreamRequest, PutStreamResponse } from '@repo/proto';
import { checkText, forEachMessage, invalidArgument } from '@repo/server-kit';

export const PUT_STREAM_LIMITS = { maxTextLength: 64 * 1024 } as const;

const PREVIEW_HEAD = 3;
const PREVIEW_ITEM_LENGTH = 24;

/**
 * Keeps what a PutStream needs to answer in constant memory, however many messages arrive:
 * the count, the total size, the first few texts and the last one.
 */
export class PutSummary {
  private count = 0;
  private bytes = 0;
  private readonly head: string[] = [];
  private last = '';

  add(text: string): void {
    this.count++;
    this.bytes += Buffer.byteLength(text, 'utf8');
    if (this.head.length < PREVIEW_HEAD) this.head.push(shorten(text));
    else this.last = text;
  }

  result(): PutStreamResponse {
    const items = [...this.head];
    if (this.count > PREVIEW_HEAD + 1) items.push('…');
    if (this.count > PREVIEW_HEAD) items.push(shorten(this.last));
    return { count: this.count, bytes: this.bytes, preview: items.join(', ') };
  }
}

function shorten(text: string): string {
  // Two UTF-16 units per character at most: enough of the text to cut, without copying all of it.
  const chars = [...text.slice(0, 2 * PREVIEW_ITEM_LENGTH)];
  if (chars.length <= PREVIEW_ITEM_LENGTH && text.length <= 2 * PREVIEW_ITEM_LENGTH) return text;
  return `${chars.slice(0, PREVIEW_ITEM_LENGTH - 1).join('')}…`;
}

/**
 * Reads every message until the client half-closes, then answers once with the summary.
 * A message that is not valid text ends the call with INVALID_ARGUMENT naming its position.
 * A call the client cancels gets no answer: what arrived is not a complete upload.
 */
export async function putStream(
  call: ServerReadableStream<PutStreamRequest, PutStreamResponse>,
  callback: sendUnaryData<PutStreamResponse>,
): Promise<void> {
  const summary = new PutSummary();
  let position = 0;
  await forEachMessage(call, (message) => {
    position++;
    const problem = checkText(message.text, {
      field: 'text',
      maxLength: PUT_STREAM_LIMITS.maxTextLength,
      allowEmpty: true,
    });
    if (problem) throw invalidArgument(problem, position);
    summary.add(message.text);
  });
  callback(null, summary.result());
}
