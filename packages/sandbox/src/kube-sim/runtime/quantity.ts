/** Kubernetes resource quantities (`500m`, `1.5`, `256Mi`, `1G`) as numbers, and back. */

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The quantity's value in base units (cores for cpu, bytes for memory); NaN when unparseable. */
export function parseQuantity(quantity: unknown): number {
  if (typeof quantity === 'number') return quantity;
  if (typeof quantity !== 'string') return Number.NaN;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  const suffix = match[2];
  if (suffix in binarySuffixes) return value * binarySuffixes[suffix];
  if (suffix in decimalSuffixes) return value * decimalSuffixes[suffix];
  return Number.NaN;
}

export function cpuMillis(quantity: unknown): number {
  const value = parseQuantity(quantity);
  return Number.isNaN(value) ? 0 : Math.round(value * 1000);
}

export function memoryBytes(quantity: unknown): number {
  const value = parseQuantity(quantity);
  return Number.isNaN(value) ? 0 : Math.round(value);
}

export function formatMillicores(millis: number): string {
  return `${Math.round(millis)}m`;
}

export function formatKibibytes(bytes: number): string {
  return `${Math.round(bytes / 1024)}Ki`;
}

/**
 * A milli-value as `resource.NewMilliQuantity(v, DecimalSI).String()` prints it: `250m`, `2`, `52428800`, `3k`.
 * (What an HPA writes into `status.currentMetrics[].resource.current.averageValue`.)
 */
export function formatDecimalMillis(millis: number): string {
  const rounded = Math.round(millis);
  if (rounded % 1000 !== 0) return `${rounded}m`;
  let value = rounded / 1000;
  if (value === 0) return '0';
  for (const suffix of ['', 'k', 'M', 'G', 'T', 'P']) {
    if (value % 1000 !== 0 || suffix === 'P') return `${value}${suffix}`;
    value /= 1000;
  }
  return String(value);
}
