import type { KubeObject, ResourceType } from '../cluster-types.ts';
import { ageSince } from './human-duration.ts';
import { evaluateJsonPath } from './simple-json-path.ts';
import { admissionPrinters } from './admission-printers.ts';
import { defaultPrinter, tablePrinters, type TablePrinter } from './table-printers.ts';

export type IncludeObject = 'Object' | 'Metadata' | 'None';

/** Columns from a CRD version's additionalPrinterColumns (NAME first, dates shown as ages). */
function crdPrinter(columnsSpec: any[]): TablePrinter {
  return {
    columns: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...columnsSpec.map((column) => ({ name: column.name, type: column.type ?? 'string', format: column.format ?? '', description: column.description ?? '', priority: column.priority ?? 0 })),
    ],
    cells(object, now) {
      return [
        object.metadata.name,
        ...columnsSpec.map((column) => {
          const value = evaluateJsonPath(object, column.jsonPath)[0];
          if (value === undefined || value === null) return null;
          if (column.type === 'date') return ageSince(String(value), now);
          return typeof value === 'object' ? JSON.stringify(value) : value;
        }),
      ];
    },
  };
}

export function printerFor(resource: ResourceType, crdVersion?: any): TablePrinter {
  if (crdVersion?.additionalPrinterColumns?.length) {
    const columnsSpec = crdVersion.additionalPrinterColumns;
    // CRDs list Age explicitly in additionalPrinterColumns; without it the server appends nothing.
    return crdPrinter(columnsSpec);
  }
  const key = `${resource.group}/${resource.resource}`;
  return tablePrinters[key] ?? admissionPrinters[key] ?? defaultPrinter;
}

function rowObject(object: KubeObject, includeObject: IncludeObject): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

/** A meta.k8s.io/v1 Table, what `kubectl get` asks for to print its columns. */
export function buildTable(options: {
  resource: ResourceType;
  objects: readonly KubeObject[];
  now: Date;
  includeObject: IncludeObject;
  crdVersion?: any;
  listMetadata?: Record<string, unknown>;
  /** omit column definitions (watch events after the first, like the real server) */
  omitHeaders?: boolean;
}) {
  const printer = printerFor(options.resource, options.crdVersion);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.listMetadata ?? {},
    columnDefinitions: options.omitHeaders ? null : printer.columns,
    rows: options.objects.map((object) => {
      const conditions = object.kind === 'Pod' && ['Succeeded', 'Failed'].includes(object.status?.phase)
        ? [{ type: 'Completed', status: 'True', reason: object.status.phase, message: `The pod has ${object.status.phase === 'Succeeded' ? 'completed successfully' : 'failed'}.` }]
        : undefined;
      return { cells: printer.cells(object, options.now), ...(conditions ? { conditions } : {}), object: rowObject(object, options.includeObject) };
    }),
  };
}
