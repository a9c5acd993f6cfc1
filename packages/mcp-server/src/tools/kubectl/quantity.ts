/**
 * Kubernetes resource quantities as kubectl prints them. Describe shows `Quantity.String()`, the canonical
 * form, not what was written: "1000m" prints as "1", "1.5Gi" as "1536Mi", "0.5" as "500m". Values are kept
 * exact (a BigInt mantissa and a power-of-ten scale), as apimachinery does, so sums and percentages match.
 */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** value = mantissa × 10^scale */
  mantissa: bigint;
  scale: number;
  format: QuantityFormat;
}

const BINARY_EXPONENTS: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIXES = new Map(Object.entries(DECIMAL_EXPONENTS).map(([suffix, exponent]) => [exponent, suffix]));
const BINARY_SUFFIXES = new Map(Object.entries(BINARY_EXPONENTS).map(([suffix, exponent]) => [exponent, suffix]));
/** apimachinery rounds parsed quantities up to nano precision. */
const MIN_SCALE = -9;

export const ZERO_QUANTITY: Quantity = { mantissa: 0n, scale: 0, format: 'DecimalSI' };

/** Parses a quantity string (or a JSON number); undefined when it is not a valid quantity. */
export function parseQuantity(input: unknown): Quantity | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? parseQuantity(String(input)) : undefined;
  if (typeof input !== 'string') return undefined;
  const match = /^([+-]?)(\d*)(?:\.(\d*))?([a-zA-Z]*|[eE][+-]?\d+)$/.exec(input.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const [, sign, whole, fraction = '', suffix] = match;
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  let scale = -fraction.length;
  let format: QuantityFormat;
  if (suffix in BINARY_EXPONENTS) {
    mantissa *= 2n ** BigInt(BINARY_EXPONENTS[suffix]);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_EXPONENTS) {
    scale += DECIMAL_EXPONENTS[suffix];
    format = 'DecimalSI';
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    scale += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    return undefined;
  }
  if (sign === '-') mantissa = -mantissa;
  return roundUpToScale({ mantissa, scale, format }, MIN_SCALE);
}

/** Rounds away from zero so the scale is at least `minScale`. */
function roundUpToScale(quantity: Quantity, minScale: number): Quantity {
  if (quantity.scale >= minScale) return quantity;
  const divisor = 10n ** BigInt(minScale - quantity.scale);
  let mantissa = quantity.mantissa / divisor;
  if (mantissa * divisor !== quantity.mantissa) mantissa += quantity.mantissa > 0n ? 1n : -1n;
  return { ...quantity, mantissa, scale: minScale };
}

function removeFactors(value: bigint, base: bigint): [bigint, number] {
  let times = 0;
  while (value !== 0n && value % base === 0n) {
    value /= base;
    times += 1;
  }
  return [value, times];
}

/** The value scaled to 10^scale, rounded up (apimachinery's ScaledValue). */
export function scaledValue(quantity: Quantity, scale: number): bigint {
  if (quantity.scale >= scale) return quantity.mantissa * 10n ** BigInt(quantity.scale - scale);
  return roundUpToScale(quantity, scale).mantissa;
}

/** Quantity.Value(): whole units, rounded up. */
export function quantityValue(quantity: Quantity): bigint {
  return scaledValue(quantity, 0);
}

/** Quantity.MilliValue(). */
export function quantityMilliValue(quantity: Quantity): bigint {
  return scaledValue(quantity, -3);
}

/** Sum keeping the left operand's format, like Quantity.Add. */
export function addQuantities(left: Quantity, right: Quantity): Quantity {
  const scale = Math.min(left.scale, right.scale);
  return { mantissa: scaledValue(left, scale) + scaledValue(right, scale), scale, format: left.format };
}

export function compareQuantities(left: Quantity, right: Quantity): number {
  const scale = Math.min(left.scale, right.scale);
  const difference = scaledValue(left, scale) - scaledValue(right, scale);
  return difference === 0n ? 0 : difference > 0n ? 1 : -1;
}

/** Quantity.String(): the canonical form. */
export function formatQuantity(quantity: Quantity): string {
  if (quantity.mantissa === 0n) return '0';
  let format = quantity.format;
  if (format === 'BinarySI') {
    const small = compareQuantities(quantity, parseQuantity('1024')!) < 0 && compareQuantities(quantity, parseQuantity('-1024')!) > 0;
    const whole = quantity.scale >= 0 || quantity.mantissa % 10n ** BigInt(-quantity.scale) === 0n;
    if (small || !whole) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const [amount, times] = removeFactors(scaledValue(quantity, 0), 1024n);
    const suffix = BINARY_SUFFIXES.get(times * 10);
    if (suffix !== undefined || times === 0) return `${amount}${suffix ?? ''}`;
  }
  let [amount, times] = removeFactors(quantity.mantissa, 10n);
  let exponent = quantity.scale + times;
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent -= 1;
  }
  if (exponent === 0) return `${amount}`;
  const decimal = format === 'DecimalSI' ? DECIMAL_SUFFIXES.get(exponent) : undefined;
  return `${amount}${decimal ?? `e${exponent}`}`;
}

/** A quantity field as kubectl prints it; unparseable values are shown as written. */
export function quantityString(value: unknown): string {
  const parsed = parseQuantity(value);
  return parsed ? formatQuantity(parsed) : String(value ?? '0');
}
