/**
 * The growth benches' one figure (issue 79 item 6): how a cost grows with the size of the work. Each bench measures at
 * two or three sizes and prints the fitted exponent b of cost ≈ a · size^b (least squares over the logarithms): b ≈ 0
 * is flat, b < 1 grows slower than the data (logarithmic-looking), b ≈ 1 linear, b > 1.15 superlinear — the
 * regression these benches are there to show. Also the ratio between the largest and smallest size, against a goal.
 */

export interface GrowthPoint {
  size: number;
  value: number;
}

/** b of value ≈ a · size^b over the points (at least two distinct positive sizes and values). */
export function growthExponent(points: readonly GrowthPoint[]): number {
  const usable = points.filter((point) => point.size > 0 && point.value > 0);
  if (usable.length < 2) return Number.NaN;
  const xs = usable.map((point) => Math.log(point.size));
  const ys = usable.map((point) => Math.log(point.value));
  const meanX = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / ys.length;
  const covariance = xs.reduce((sum, x, index) => sum + (x - meanX) * (ys[index]! - meanY), 0);
  const variance = xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? Number.NaN : covariance / variance;
}

/** The exponent in words. */
export function growthKind(exponent: number): string {
  if (Number.isNaN(exponent)) return 'not fitted';
  if (exponent < 0.15) return 'flat';
  if (exponent < 0.7) return 'sublinear';
  if (exponent <= 1.15) return 'linear';
  return 'SUPERLINEAR';
}

/**
 * One line: each size's figure, the ratio of the largest to the smallest size's, the exponent and its kind, and the
 * goal (`maxRatio` for the size ratio the bench ran) with whether it was met.
 */
export function growthLine(label: string, points: readonly GrowthPoint[], format: (value: number) => string, goal?: { maxRatio: number; why: string }): { line: string; met: boolean } {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const ratio = last.value / first.value;
  const exponent = growthExponent(sorted);
  const met = goal ? ratio <= goal.maxRatio : true;
  const figures = sorted.map((point) => `${point.size.toLocaleString('en-US')}: ${format(point.value)}`).join(', ');
  const goalText = goal ? `; goal ≤ ×${Number(goal.maxRatio.toFixed(2))} (${goal.why}) ${met ? 'met' : 'NOT MET'}` : '';
  return {
    line: `  ${label}: ${figures} → ×${(last.size / first.size).toLocaleString('en-US')} size, ×${ratio.toFixed(2)} cost, exponent ${exponent.toFixed(2)} (${growthKind(exponent)})${goalText}`,
    met,
  };
}
