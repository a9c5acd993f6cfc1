/**
 * Refuses request input that carries control characters (NUL and the other C0 controls except tab, newline and
 * carriage return, and DEL) or a lone UTF-16 surrogate (`"\ud800"` in JSON: half of a character, no text at all).
 * Why at the boundary: a NUL or a lone surrogate in a chat message made the stream hang after `ready` (Postgres and
 * PGlite refuse them: "invalid input syntax for type json"), and neither has any business in any field of this API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** a high surrogate not followed by a low one, or a low surrogate not preceded by a high one */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unwanted = new RegExp(`${controlCharacter.source}|${loneSurrogate.source}`);
const unwantedEverywhere = new RegExp(unwanted.source, 'g');

interface Finding {
  path: string;
  position: number;
  codePoint: number;
}

function find(value: unknown, path: string, depth = 0): Finding | undefined {
  if (typeof value === 'string') {
    const match = unwanted.exec(value);
    return match ? { path, position: match.index, codePoint: match[0].charCodeAt(0) } : undefined;
  }
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = find(item, `${path}[${index}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const keyFinding = find(key, `${path ? `${path}.` : ''}(key ${JSON.stringify(key.replace(unwantedEverywhere, '?'))})`, depth + 1);
    if (keyFinding) return keyFinding;
    const found = find(item, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function registerRejectControlCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const finding = find(request.body, 'body') ?? find(request.query, 'query') ?? find(request.params, 'path');
    if (!finding) return;
    const hex = finding.codePoint.toString(16).toUpperCase().padStart(4, '0');
    const what = finding.codePoint >= 0xd800 && finding.codePoint <= 0xdfff ? 'a lone UTF-16 surrogate (half of a character)' : 'a control character';
    await reply.code(400).send({ detail: `${finding.path} contains ${what} (U+${hex}) at position ${finding.position}; remove it and send the request again.` });
    return reply;
  });
}
