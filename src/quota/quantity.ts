/**
 * Exact resource.Quantity arithmetic for quota and limit checks: quantities become BigInt
 * milli-units (rounded up, as upstream's MilliValue), so sums and comparisons of "1.5Gi",
 * "250m" or "10Ti" never lose precision, and print back in the canonical form kubectl shows.
 */
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b < a ? q + 1n : q;
}

/** A quantity (string or number) in milli-units, or undefined when it is not a quantity. */
export function toMilli(value: unknown): bigint | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) return undefined;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  const fraction = m[3] ?? '';
  const digits = BigInt(`${m[2] || '0'}${fraction}`);
  const suffix = m[4] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  if (suffix in BINARY) return sign * ceilDiv(digits * 1000n * 2n ** BigInt(BINARY[suffix] ?? 0), scale);
  const exponent = (suffix in DECIMAL ? (DECIMAL[suffix] ?? 0) : Number(suffix.slice(1))) + 3 - fraction.length;
  return sign * (exponent >= 0 ? digits * 10n ** BigInt(exponent) : ceilDiv(digits, 10n ** BigInt(-exponent)));
}

/** Resources measured in bytes print with binary or decimal suffixes; counts and cpu do not. */
function isByteResource(name: string): boolean {
  return /(^|[./])(memory|storage|ephemeral-storage)$/.test(name) || name.startsWith('hugepages-') || /\/hugepages-/.test(name) || name.includes('.hugepages-');
}

function isCpuResource(name: string): boolean {
  return name === 'cpu' || name.endsWith('.cpu');
}

/** Milli-units back to a quantity string, in the form upstream canonicalises to (250m, 2, 128Mi, 200M). */
export function formatMilli(milli: bigint, resource: string): string {
  if (milli === 0n) return '0';
  if (milli % 1000n !== 0n) return `${milli}m`;
  const value = milli / 1000n;
  if (isCpuResource(resource) || !isByteResource(resource)) return String(value);
  const abs = value < 0n ? -value : value;
  for (const [suffix, shift] of Object.entries(BINARY).reverse()) {
    const unit = 2n ** BigInt(shift);
    if (abs % unit === 0n) return `${value / unit}${suffix}`;
  }
  for (const [suffix, exp] of [['E', 18], ['P', 15], ['T', 12], ['G', 9], ['M', 6], ['k', 3]] as const) {
    const unit = 10n ** BigInt(exp);
    if (abs % unit === 0n) return `${value / unit}${suffix}`;
  }
  return String(value);
}

/** A quantity as the user wrote it, in canonical form (unparseable text is kept). */
export function canonicalQuantity(value: unknown, resource: string): string {
  const milli = toMilli(value);
  return milli === undefined ? String(value) : formatMilli(milli, resource);
}

export type Usage = Map<string, bigint>;

export function addUsage(into: Usage, from: Usage): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0n) + v);
}
