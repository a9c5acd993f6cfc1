/**
 * JSON request bodies read strictly: bytes that are not UTF-8 and nesting deeper than any request of this API needs
 * are refused with 400 before anything parses them. Fastify's own parser decodes invalid bytes to U+FFFD (the
 * request went through with the text silently changed) and nests as deep as the body goes (deep input then meets
 * the handlers' recursive walks); its proto-poisoning protection is kept by parsing with it afterwards.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.ts';

/** deeper than any request body of this API (messages, tool arguments, settings) and far from any stack limit */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of objects and arrays in `text`, counted outside strings; stops once past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return deepest;
}

export function registerStrictJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = decoder.decode(body as Buffer);
    } catch {
      done(new HttpError(400, 'Request body is not valid UTF-8; send JSON text encoded as UTF-8', 'INVALID_ENCODING'), undefined);
      return;
    }
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(new HttpError(400, `Request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels; no request of this API needs that`, 'JSON_TOO_DEEP'), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
