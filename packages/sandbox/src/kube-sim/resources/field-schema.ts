import { readFileSync } from 'node:fs';
import type { ResourceType } from '../cluster-types.ts';
import { mergeKeyFor } from '../patch/list-merge-keys.ts';
import { isPlainObject } from '../util/json-values.ts';

/**
 * The field names of every built-in kind, for server-side field validation (`fieldValidation=Strict|Warn|Ignore`).
 * They come from the protobuf descriptors kubectl v1.32 embeds (protobuf/proto-schema.json): the generated
 * k8s.io/api messages name each field by its JSON name, so they tell which fields a v1.32 API server knows.
 */

type FieldRow = [name: string, number: number, type: number, repeated: 0 | 1, typeName?: string];
type ProtoSchema = Record<string, { map?: 1; fields: FieldRow[] }>;

const schema: ProtoSchema = JSON.parse(readFileSync(new URL('../protobuf/proto-schema.json', import.meta.url), 'utf8'));

const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** What a field holds: a message (checked recursively), a map of values, or anything else (not checked). */
interface FieldType {
  /** message type of the value (or of each item / map value); undefined for scalars and opaque values */
  message?: string;
  repeated: boolean;
  map: boolean;
  /** no schema: only duplicates are looked for (a patch document) */
  any?: boolean;
}

/** Messages whose JSON form is not their protobuf shape (strings, raw JSON): never checked field by field. */
const opaqueMessages = new Set([
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  `${meta}.FieldsV1`,
  `${meta}.Time`,
  `${meta}.MicroTime`,
  `${meta}.Duration`,
]);

/** Go structs embedded with `json:",inline"`: protobuf nests them, JSON flattens them into the parent. */
const inlineFields = new Set(['ingressRuleValue', 'volumeSource', 'persistentVolumeSource', 'ephemeralContainerCommon', 'localObjectReference', 'ruleWithOperations', 'deviceConfiguration', 'k8s.io.api.core.v1.Probe.handler', 'k8s.io.api.admissionregistration.v1.RuleWithOperations.rule']);

/** The few protobuf field names that differ from the JSON ones. */
const jsonNames: Record<string, string> = { uID: 'uid', aPIGroup: 'apiGroup', Webhooks: 'webhooks', Expression: 'expression', Name: 'name' };

/** API group → protobuf package directory (k8s.io/api/<dir>/<version>). */
const packageDirectory: Record<string, string> = {
  '': 'core',
  'rbac.authorization.k8s.io': 'rbac',
  'networking.k8s.io': 'networking',
  'coordination.k8s.io': 'coordination',
  'events.k8s.io': 'events',
  'storage.k8s.io': 'storage',
  'discovery.k8s.io': 'discovery',
  'scheduling.k8s.io': 'scheduling',
  'admissionregistration.k8s.io': 'admissionregistration',
  'flowcontrol.apiserver.k8s.io': 'flowcontrol',
  'node.k8s.io': 'node',
  'certificates.k8s.io': 'certificates',
};

const cache = new Map<string, Map<string, FieldType> | undefined>();

/** The JSON fields of a message (inline members flattened), or undefined for opaque and unknown types. */
function fieldsOf(typeName: string): Map<string, FieldType> | undefined {
  if (cache.has(typeName)) return cache.get(typeName);
  const message = schema[typeName];
  let fields: Map<string, FieldType> | undefined;
  if (message && !opaqueMessages.has(typeName)) {
    fields = new Map();
    for (const [name, , type, repeated, nested] of message.fields) {
      if (type === 11 && nested && !repeated && (inlineFields.has(name) || inlineFields.has(`${typeName}.${name}`))) {
        for (const [inlineName, inlineType] of fieldsOf(nested) ?? []) fields.set(inlineName, inlineType);
        continue;
      }
      const jsonName = jsonNames[name] ?? name;
      if (type !== 11 || !nested) {
        fields.set(jsonName, { repeated: repeated === 1, map: false });
        continue;
      }
      const entry = schema[nested];
      if (entry?.map) {
        const value = entry.fields.find((row) => row[0] === 'value');
        fields.set(jsonName, { message: value?.[2] === 11 ? value[4] : undefined, repeated: false, map: true });
      } else {
        fields.set(jsonName, { message: nested, repeated: repeated === 1, map: false });
      }
    }
  }
  cache.set(typeName, fields);
  return fields;
}

/** The protobuf message of a served built-in kind, or undefined (custom resources, CRDs) when none is known. */
export function messageFor(resource: Pick<ResourceType, 'group' | 'version' | 'kind'>): string | undefined {
  const directory = packageDirectory[resource.group] ?? resource.group.split('.')[0];
  const typeName = `k8s.io.api.${directory}.${resource.version}.${resource.kind}`;
  return schema[typeName] ? typeName : undefined;
}

const rootFields = new Set(['apiVersion', 'kind']);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Problems a strict decoder finds in a JSON body, in document order, worded like the API server's
 * `strict decoding error`: `unknown field "spec.foo"`, `duplicate field "spec.replicas"`.
 */
export function strictDecodingProblems(typeName: string | undefined, text: string): string[] {
  const problems: string[] = [];
  let index = 0;
  const skipSpace = () => {
    while (index < text.length && (text[index] === ' ' || text[index] === '\n' || text[index] === '\r' || text[index] === '\t')) index++;
  };
  const readString = (): string => {
    const start = index;
    index++;
    while (text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
    index++;
    return JSON.parse(text.slice(start, index)) as string;
  };
  /** Scans one value; `fields` checks an object's keys, `item` is the type of array items / map values. */
  const scan = (path: string, type: FieldType | undefined, root = false): void => {
    skipSpace();
    const character = text[index];
    if (character === '{') {
      index++;
      const fields = type?.map || !type?.message ? undefined : fieldsOf(type.message);
      const seen = new Set<string>();
      skipSpace();
      if (text[index] === '}') {
        index++;
        return;
      }
      for (;;) {
        skipSpace();
        const key = readString();
        skipSpace();
        index++; // ':'
        const fieldPath = join(path, key);
        let next: FieldType | undefined;
        if (seen.has(key)) {
          if (type) problems.push(`duplicate field "${fieldPath}"`);
        } else if (type?.any) {
          next = type;
        } else if (type?.map) {
          next = type.message ? { message: type.message, repeated: false, map: false } : undefined;
        } else if (fields) {
          next = fields.get(key);
          if (!next && !(root && rootFields.has(key))) problems.push(`unknown field "${fieldPath}"`);
        }
        seen.add(key);
        scan(fieldPath, next);
        skipSpace();
        if (text[index++] === '}') return;
      }
    }
    if (character === '[') {
      index++;
      const item = type?.any ? type : type?.repeated ? { ...type, repeated: false } : undefined;
      skipSpace();
      if (text[index] === ']') {
        index++;
        return;
      }
      for (let position = 0; ; position++) {
        scan(`${path}[${position}]`, item);
        skipSpace();
        if (text[index++] === ']') return;
      }
    }
    if (character === '"') {
      readString();
      return;
    }
    while (index < text.length && !',}] \n\r\t'.includes(text[index])) index++;
  };
  scan('', typeName ? { message: typeName, repeated: false, map: false } : { repeated: false, map: false, any: true }, true);
  return problems;
}

/** Duplicate keys anywhere in a JSON document (a patch), as `duplicate field "spec.replicas"` problems. */
export function duplicateFieldProblems(text: string): string[] {
  return strictDecodingProblems(undefined, text);
}

/** Unknown fields of a decoded object (no duplicates survive decoding), as `unknown field "…"` problems. */
export function unknownFieldProblems(typeName: string, object: unknown): string[] {
  return unknownPaths(typeName, object, 'strict').map((path) => `unknown field "${path}"`);
}

type PathStyle = 'strict' | 'apply';

/** Server-side apply names list items by their keys (`containers[name="web"]`), like structured-merge-diff. */
function itemLabel(field: string, items: unknown[], item: unknown, position: number): string {
  if (!isPlainObject(item)) return `[${position}]`;
  if (field === 'ports' && ('containerPort' in item || 'port' in item)) {
    const portKey = 'containerPort' in item ? 'containerPort' : 'port';
    return `[${portKey}=${JSON.stringify(item[portKey])},protocol=${JSON.stringify(item.protocol ?? 'TCP')}]`;
  }
  const key = mergeKeyFor(field, items);
  return key && item[key] !== undefined ? `[${key}=${JSON.stringify(item[key])}]` : `[${position}]`;
}

function unknownPaths(typeName: string, object: unknown, style: PathStyle): string[] {
  const paths: string[] = [];
  const prefix = style === 'apply' ? '.' : '';
  const walk = (type: string, value: unknown, path: string, root: boolean): void => {
    const fields = fieldsOf(type);
    if (!fields || !isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const field = fields.get(key);
      const fieldPath = path ? `${path}.${key}` : `${prefix}${key}`;
      if (!field) {
        if (!(root && rootFields.has(key))) paths.push(fieldPath);
        continue;
      }
      if (!field.message || child === null || child === undefined) continue;
      if (field.map && isPlainObject(child)) {
        for (const [mapKey, mapValue] of Object.entries(child)) walk(field.message, mapValue, `${fieldPath}.${mapKey}`, false);
      } else if (field.repeated && Array.isArray(child)) {
        child.forEach((item, position) => walk(field.message!, item, `${fieldPath}${style === 'apply' ? itemLabel(key, child, item, position) : `[${position}]`}`, false));
      } else {
        walk(field.message, child, fieldPath, false);
      }
    }
  };
  walk(typeName, object, '', true);
  return paths;
}

/** Paths of unknown fields as server-side apply reports them (`.spec.template.spec.containers[name="web"].foo`). */
export function applyUnknownPaths(typeName: string, object: unknown): string[] {
  return unknownPaths(typeName, object, 'apply');
}

/** Drops unknown fields in place, as decoding into the typed object does under fieldValidation Warn or Ignore. */
export function pruneUnknownFields(typeName: string, object: unknown): void {
  const walk = (type: string, value: unknown, root: boolean): void => {
    const fields = fieldsOf(type);
    if (!fields || !isPlainObject(value)) return;
    for (const key of Object.keys(value)) {
      const field = fields.get(key);
      if (!field) {
        if (!(root && rootFields.has(key))) delete value[key];
        continue;
      }
      const child = value[key];
      if (!field.message || child === null || child === undefined) continue;
      if (field.map && isPlainObject(child)) for (const mapValue of Object.values(child)) walk(field.message, mapValue, false);
      else if (field.repeated && Array.isArray(child)) for (const item of child) walk(field.message, item, false);
      else walk(field.message, child, false);
    }
  };
  walk(typeName, object, true);
}
