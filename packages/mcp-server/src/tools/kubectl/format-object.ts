/** YAML/JSON rendering of API objects: managedFields dropped (noise), secrets redacted before serialising. */
import { stringify } from 'yaml';
import { redactObject } from '@skyflo/safety';

export function cleanObject<T>(object: T): T {
  const strip = (value: any): any => {
    if (!value || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(strip);
    if (value.metadata && typeof value.metadata === 'object') {
      const { managedFields: _managedFields, ...metadata } = value.metadata;
      value = { ...value, metadata };
    }
    if (Array.isArray(value.items)) value = { ...value, items: value.items.map(strip) };
    return value;
  };
  return redactObject(strip(object));
}

export function formatObject(object: unknown, output: 'yaml' | 'json'): string {
  const cleaned = cleanObject(object);
  return output === 'json' ? JSON.stringify(cleaned, null, 2) : stringify(cleaned, { lineWidth: 0 });
}
