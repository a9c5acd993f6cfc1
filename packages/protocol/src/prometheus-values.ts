/**
 * Prometheus' sample values as its HTTP API writes them (Go's strconv.FormatFloat: "0.25", "1e+21", "+Inf", "-Inf",
 * "NaN"), read exactly. `Number("+Inf")` is NaN in JavaScript, so a division by zero read with Number() looks like
 * 0/0: the observability tools (what the model reads), the chart (what a person sees) and the verification's symptom
 * check all read values through this one function.
 */
export function parsePrometheusValue(text: string): number {
  const trimmed = text.trim();
  switch (trimmed.toLowerCase()) {
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'nan':
      return Number.NaN;
  }
  // Number('') is 0: an empty value is not a zero
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

/** What a special value means, in the words a person on call needs (the tools' summaries append these once). */
export const specialValueMeanings = {
  NaN: 'NaN is 0/0: nothing to divide, e.g. a ratio or histogram_quantile over a window with no requests; it is neither zero nor an error',
  '+Inf': '+Inf is a positive number divided by zero (x/0), e.g. errors over a request rate of zero, or a quantile above 1',
  '-Inf': '-Inf is a negative number divided by zero (-x/0), or a quantile below 0',
} as const;

export type SpecialValue = keyof typeof specialValueMeanings;

/** "NaN", "+Inf" or "-Inf" for a special value; undefined for a finite number. */
export function specialValueOf(value: number): SpecialValue | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return undefined;
}
