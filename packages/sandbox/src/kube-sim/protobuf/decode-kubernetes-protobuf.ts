import { readFileSync } from 'node:fs';
import { ApiError } from '../cluster-types.ts';
import { readFields, readVarints, type WireField } from './wire-reader.ts';

type FieldRow = [name: string, number: number, type: number, repeated: 0 | 1, typeName?: string];
type Schema = Record<string, { map?: 1; fields: FieldRow[] }>;

/** Field tables extracted from kubectl's own descriptors by extract-proto-schema.ts. */
const schema: Schema = JSON.parse(readFileSync(new URL('./proto-schema.json', import.meta.url), 'utf8'));

const magic = Buffer.from('k8s\0', 'latin1');
const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** API group → protobuf package prefix (k8s.io/api/<dir>/<version>). */
const packageDirectory: Record<string, string> = {
  '': 'core',
  'rbac.authorization.k8s.io': 'rbac',
  'networking.k8s.io': 'networking',
  'coordination.k8s.io': 'coordination',
  'events.k8s.io': 'events',
  'storage.k8s.io': 'storage',
  'discovery.k8s.io': 'discovery',
  'scheduling.k8s.io': 'scheduling',
  'authorization.k8s.io': 'authorization',
  'authentication.k8s.io': 'authentication',
  'certificates.k8s.io': 'certificates',
  'admissionregistration.k8s.io': 'admissionregistration',
  'flowcontrol.apiserver.k8s.io': 'flowcontrol',
  'node.k8s.io': 'node',
};

const decoder = new TextDecoder();

/** Go structs embedded with `json:",inline"`: protobuf nests them, JSON flattens them into the parent. */
const inlineFields = new Set(['ingressRuleValue', 'volumeSource', 'persistentVolumeSource', 'ephemeralContainerCommon', 'localObjectReference', 'k8s.io.api.core.v1.Probe.handler']);

function formatTime(seconds: bigint, nanos: number, micro: boolean): string | null {
  if (seconds === 0n && nanos === 0) return null;
  const iso = new Date(Number(seconds) * 1000 + Math.floor(nanos / 1e6)).toISOString();
  return micro ? iso.replace('Z', `${String(nanos % 1e6).padStart(3, '0').slice(0, 3)}Z`) : iso.replace(/\.\d{3}Z$/, 'Z');
}

function scalar(field: WireField, type: number): unknown {
  const value = field.value ?? 0n;
  switch (type) {
    case 1: {
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, value, true);
      return view.getFloat64(0, true);
    }
    case 2: {
      const view = new DataView(new ArrayBuffer(4));
      view.setUint32(0, Number(value), true);
      return view.getFloat32(0, true);
    }
    case 3:
    case 16:
      return Number(BigInt.asIntN(64, value));
    case 5:
    case 15:
      return Number(BigInt.asIntN(32, value));
    case 17:
    case 18:
      return Number((value >> 1n) ^ -(value & 1n));
    case 8:
      return value !== 0n;
    case 9:
      return decoder.decode(field.bytes ?? new Uint8Array());
    case 12:
      return Buffer.from(field.bytes ?? new Uint8Array()).toString('base64');
    default:
      return Number(value);
  }
}

function special(typeName: string, bytes: Uint8Array): { handled: boolean; value?: unknown } {
  switch (typeName) {
    case `${meta}.Time`:
    case `${meta}.MicroTime`: {
      const fields = readFields(bytes);
      const seconds = fields.find((field) => field.number === 1)?.value ?? 0n;
      const nanos = Number(fields.find((field) => field.number === 2)?.value ?? 0n);
      return { handled: true, value: formatTime(seconds, nanos, typeName.endsWith('MicroTime')) };
    }
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': {
      const fields = readFields(bytes);
      const isString = (fields.find((field) => field.number === 1)?.value ?? 0n) === 1n;
      if (isString) return { handled: true, value: decoder.decode(fields.find((field) => field.number === 3)?.bytes ?? new Uint8Array()) };
      return { handled: true, value: Number(BigInt.asIntN(32, fields.find((field) => field.number === 2)?.value ?? 0n)) };
    }
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { handled: true, value: decoder.decode(readFields(bytes).find((field) => field.number === 1)?.bytes ?? new Uint8Array()) };
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
    case `${meta}.FieldsV1`: {
      const raw = readFields(bytes).find((field) => field.number === 1)?.bytes;
      return { handled: true, value: raw && raw.length ? JSON.parse(decoder.decode(raw)) : null };
    }
    case `${meta}.Duration`: {
      const nanoseconds = Number(readFields(bytes).find((field) => field.number === 1)?.value ?? 0n);
      return { handled: true, value: `${nanoseconds / 1e9}s` };
    }
    default:
      return { handled: false };
  }
}

/** Non-pointer integer fields whose zero value JSON omits (omitempty); pointer fields keep an explicit 0. */
const omittedZeroFields = new Set(['generation', 'minReadySeconds', 'observedGeneration', 'nodePort', 'hostPort', 'deletionGracePeriodSeconds']);

function isEmpty(key: string, value: unknown): boolean {
  if (value === 0 && omittedZeroFields.has(key)) return true;
  return value === undefined || value === null || value === '' || value === false || (Array.isArray(value) && value.length === 0);
}

/** Decodes one message into the JSON shape the API uses; empty strings, false and empty lists are omitted (omitempty). */
function decodeMessage(bytes: Uint8Array, typeName: string): unknown {
  const handled = special(typeName, bytes);
  if (handled.handled) return handled.value;
  const message = schema[typeName];
  if (!message) throw new Error(`unknown protobuf message ${typeName}`);
  const byNumber = new Map(message.fields.map((row) => [row[1], row]));
  const result: Record<string, unknown> = {};
  for (const field of readFields(bytes)) {
    const row = byNumber.get(field.number);
    if (!row) continue;
    const [name, , type, repeated, nestedType] = row;
    let value: unknown;
    if (type === 11) {
      const nested = schema[nestedType!];
      if (nested?.map) {
        const entry = decodeMessage(field.bytes!, nestedType!) as { key?: string; value?: unknown };
        const map = (result[name] as Record<string, unknown>) ?? {};
        map[entry.key ?? ''] = entry.value ?? (nested.fields[1]?.[2] === 9 ? '' : null);
        result[name] = map;
        continue;
      }
      value = decodeMessage(field.bytes!, nestedType!);
      if (!repeated && (inlineFields.has(name) || inlineFields.has(`${typeName}.${name}`)) && value && typeof value === 'object') {
        Object.assign(result, value);
        continue;
      }
    } else if (repeated && field.wireType === 2 && type !== 9 && type !== 12) {
      // packed repeated scalars
      const values = readVarints(field.bytes!).map((item) => scalar({ number: field.number, wireType: 0, value: item }, type));
      result[name] = [...((result[name] as unknown[]) ?? []), ...values];
      continue;
    } else value = scalar(field, type);
    if (repeated) result[name] = [...((result[name] as unknown[]) ?? []), value];
    else result[name] = value;
  }
  for (const [key, value] of Object.entries(result)) {
    if (isEmpty(key, value)) delete result[key];
  }
  return result;
}

export function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(magic);
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` body (what kubectl's typed clients send, e.g. for
 * `kubectl create deployment` or `kubectl auth can-i`) into the equivalent JSON object.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (!isKubernetesProtobuf(body)) throw new ApiError(400, 'BadRequest', 'the protobuf body does not start with the k8s magic prefix');
  try {
    const unknown = readFields(body.subarray(4));
    const typeMeta = readFields(unknown.find((field) => field.number === 1)?.bytes ?? new Uint8Array());
    const apiVersion = decoder.decode(typeMeta.find((field) => field.number === 1)?.bytes ?? new Uint8Array());
    const kind = decoder.decode(typeMeta.find((field) => field.number === 2)?.bytes ?? new Uint8Array());
    const raw = unknown.find((field) => field.number === 2)?.bytes ?? new Uint8Array();
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const directory = packageDirectory[group] ?? group.split('.')[0];
    const candidates = [`k8s.io.api.${directory}.${version}.${kind}`, `${meta}.${kind}`];
    const typeName = candidates.find((candidate) => schema[candidate]);
    if (!typeName) throw new ApiError(415, 'UnsupportedMediaType', `protobuf bodies of ${kind} (${apiVersion}) are not supported by kube-sim; send JSON instead`);
    const object = decodeMessage(raw, typeName) as Record<string, unknown>;
    return { apiVersion, kind, ...object };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(400, 'BadRequest', `the protobuf body could not be decoded: ${error instanceof Error ? error.message : String(error)}`);
  }
}
