/**
 * Python's `round(x, ndigits)` for floats: the exact binary value is rounded to the nearest decimal,
 * and exact ties go to the even digit. `toFixed` agrees except on exact ties, where it rounds away
 * from zero (round(0.125, 2) is 0.12 in Python, (0.125).toFixed(2) is "0.13").
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 1e21) return x;
  const rounded = x.toFixed(ndigits);
  // The exact decimal expansion (up to 100 digits) tells whether x sits exactly halfway.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf(".");
  const tail = exact.slice(point + 1 + ndigits);
  if (!/^50*$/.test(tail)) return Number(rounded);
  const truncated = exact.slice(0, ndigits === 0 ? point : point + 1 + ndigits);
  const lastDigit = Number(truncated[truncated.length - 1]);
  const magnitude = lastDigit % 2 === 0 ? Number(truncated) : Number(Math.abs(Number(rounded)).toFixed(ndigits));
  return x < 0 ? -magnitude : magnitude;
}
