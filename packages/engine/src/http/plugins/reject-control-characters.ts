/**
 * Refuses request input that carries control characters (NUL and the other C0 controls except tab, newline and
 * carriage return, and DEL). Why at the boundary: a NUL in a chat message made the PGlite stream hang after
 * `ready` (Postgres text cannot hold it), and such characters have no business in any field of this API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

interface Finding {
  path: string;
  position: number;
  codePoint: number;
}

function find(value: unknown, path: string, depth = 0): Finding | undefined {
  if (typeof value === 'string') {
    const match = controlCharacter.exec(value);
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
    const keyFinding = find(key, `${path ? `${path}.` : ''}(key ${JSON.stringify(key.replace(controlCharacter, '?'))})`, depth + 1);
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
    await reply.code(400).send({ detail: `${finding.path} contains a control character (U+${hex}) at position ${finding.position}; remove it and send the request again.` });
    return reply;
  });
}
