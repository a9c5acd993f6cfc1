/**
 * Regenerates proto-schema.json from the kubectl binary: gogo-protobuf embeds each k8s.io API package's
 * gzipped FileDescriptorProto, which gives the field numbers needed to decode kubectl's protobuf bodies.
 * Run: npx tsx packages/sandbox/src/kube-sim/protobuf/extract-proto-schema.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { readFields } from './wire-reader.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The real kubectl that `npm install` extracts (.tools/bin at the repository root; a maintainer script, not shipped). */
const kubectlPath = process.env.KUBECTL ?? path.resolve(here, '../../../../../.tools/bin/kubectl');

type FieldRow = [name: string, number: number, type: number, repeated: 0 | 1, typeName?: string];

const decoder = new TextDecoder();
const text = (bytes?: Uint8Array) => (bytes ? decoder.decode(bytes) : '');

function messages(prefix: string, bytes: Uint8Array, out: Record<string, { map?: 1; fields: FieldRow[] }>): void {
  const fields = readFields(bytes);
  const name = `${prefix}.${text(fields.find((field) => field.number === 1)?.bytes)}`;
  const rows: FieldRow[] = [];
  for (const field of fields.filter((candidate) => candidate.number === 2)) {
    const parts = readFields(field.bytes!);
    const get = (number: number) => parts.find((part) => part.number === number);
    const row: FieldRow = [text(get(1)?.bytes), Number(get(3)?.value), Number(get(5)?.value), Number(get(4)?.value) === 3 ? 1 : 0];
    const typeName = get(6)?.bytes;
    if (typeName) row.push(text(typeName).replace(/^\./, ''));
    rows.push(row);
  }
  const options = fields.find((field) => field.number === 7)?.bytes;
  const isMap = options ? readFields(options).some((option) => option.number === 7 && option.value === 1n) : false;
  out[name] = isMap ? { map: 1, fields: rows } : { fields: rows };
  for (const nested of fields.filter((candidate) => candidate.number === 3)) messages(name, nested.bytes!, out);
}

const binary = readFileSync(kubectlPath);
const magic = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
const schema: Record<string, { map?: 1; fields: FieldRow[] }> = {};
for (let index = binary.indexOf(magic); index >= 0; index = binary.indexOf(magic, index + 1)) {
  let descriptor: Buffer;
  try {
    descriptor = zlib.inflateRawSync(binary.subarray(index + 10, index + 10 + 4_000_000), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    continue;
  }
  let fields;
  try {
    fields = readFields(descriptor);
  } catch {
    continue;
  }
  const file = text(fields.find((field) => field.number === 1)?.bytes);
  if (!file.startsWith('k8s.io/') || !file.endsWith('generated.proto')) continue;
  const pkg = text(fields.find((field) => field.number === 2)?.bytes);
  for (const message of fields.filter((field) => field.number === 4)) messages(pkg, message.bytes!, schema);
}
const target = path.join(here, 'proto-schema.json');
writeFileSync(target, JSON.stringify(schema));
process.stdout.write(`wrote ${Object.keys(schema).length} message types to ${target}\n`);
