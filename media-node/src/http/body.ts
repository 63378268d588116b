/** Reads a request body as text, refusing it past `maxBytes` (413) before buffering it all. */
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { MediaError } from '../../../shared/errors.ts';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new MediaError('payload_too_large', `request body exceeds ${maxBytes} bytes`, {
      limit: maxBytes,
    });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses `text` as JSON and validates it with `schema` (400 with the first issue otherwise). */
export function parseJson<T>(text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MediaError('invalid_request', 'body must be JSON');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '';
    throw new MediaError('invalid_request', `${field || 'body'}: ${issue?.message ?? 'invalid'}`, {
      field,
    });
  }
  return result.data;
}
