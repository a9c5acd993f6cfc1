import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest } from '../errors/api-errors.ts';
import { decodeKubernetesProtobuf, isKubernetesProtobuf } from '../protobuf/decode-kubernetes-protobuf.ts';

const maxBodyBytes = 64 * 1024 * 1024;

/**
 * Reads the body as text. Protobuf bodies (kubectl's typed clients send them) are decoded to JSON text and
 * the request's content-type is rewritten to match, so every handler after this sees JSON.
 */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw badRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (/application\/vnd\.kubernetes\.protobuf/.test(String(request.headers['content-type'] ?? '')) && isKubernetesProtobuf(body)) {
    request.headers['content-type'] = 'application/json';
    return JSON.stringify(decodeKubernetesProtobuf(body));
  }
  return body.toString('utf8');
}

/** Parses a JSON body (or YAML for apply patches, which kubectl may send either way). */
export function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return undefined;
  const yaml = /yaml/i.test(contentType ?? '');
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw badRequest(`the request body could not be decoded as ${yaml ? 'YAML' : 'JSON'}: ${detail}`);
  }
}
