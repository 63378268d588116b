/** Boundary parsing: request bodies and queries through the schemas in shared/. */
import type { z } from 'zod';
import { MediaError } from '../../../shared/errors.ts';
import type { AppContext } from './context.ts';

/** The first zod issue as a 400 with the path of the field at fault. */
export function invalid(error: z.ZodError): MediaError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  return new MediaError('invalid_request', issue?.message ?? 'invalid request', {
    field: field || '(body)',
  });
}

/** Reads the body as text (bounded by the body-limit middleware) and parses it as JSON. */
export async function readJson(c: AppContext): Promise<{ text: string; value: unknown }> {
  const text = await c.req.text();
  try {
    return { text, value: text === '' ? {} : JSON.parse(text) };
  } catch {
    throw new MediaError('invalid_request', 'the body is not valid JSON', { field: '(body)' });
  }
}

export async function parseBody<S extends z.ZodType>(
  c: AppContext,
  schema: S,
): Promise<z.infer<S>> {
  const { value } = await readJson(c);
  return parseValue(schema, value);
}

export function parseValue<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(result.error);
  return result.data;
}
