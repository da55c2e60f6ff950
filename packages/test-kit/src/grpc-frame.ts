// gRPC's length-prefixed messages (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a
// Compressed-Flag octet, a 4-octet big-endian length, then the message. What a test sends as a
// request body, or finds in the DATA frames of an answer.

const PREFIX_LENGTH = 5;

/**
 * One length-prefixed message around `message`. `flag` is the Compressed-Flag octet (0 plain, 1
 * compressed with the call's grpc-encoding, others invalid); `declaredLength`, the length the
 * prefix declares (the message's own unless a test lies).
 */
export function grpcFrame(
  message: Uint8Array,
  { flag = 0, declaredLength = message.length }: { flag?: number; declaredLength?: number } = {},
): Buffer {
  const frame = Buffer.alloc(PREFIX_LENGTH + message.length);
  frame.writeUInt8(flag, 0);
  frame.writeUInt32BE(declaredLength, 1);
  frame.set(message, PREFIX_LENGTH);
  return frame;
}

/**
 * The messages in `body` (a stream's DATA, concatenated), prefixes removed; throws when the last
 * one is cut short, since a test that reads one expects it whole.
 */
export function grpcMessagesOf(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    if (body.length < at + PREFIX_LENGTH) throw new Error(`a message prefix cut short at octet ${at}`);
    const length = body.readUInt32BE(at + 1);
    const end = at + PREFIX_LENGTH + length;
    if (body.length < end) throw new Error(`a message of ${length} octets cut short at octet ${at}`);
    messages.push(body.subarray(at + PREFIX_LENGTH, end));
    at = end;
  }
  return messages;
}
