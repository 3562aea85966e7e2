/** Building DSPy keyword arguments: camelCase options in, snake_case keys out, undefined left out. */
export function kwargs(entries: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) out[key] = value;
  return out;
}
