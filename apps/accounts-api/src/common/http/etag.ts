/** A strong validator for one version of a resource. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * Whether `If-Match` (RFC 9110 §13.1.1) lets a change to `version` go ahead:
 * absent means "change it whatever its version"; otherwise one of the listed
 * tags, or `*`, must match the current version, compared strongly (a weak
 * `W/` tag never matches).
 */
export function ifMatchAllows(ifMatch: string | undefined, version: number): boolean {
  if (ifMatch === undefined) return true;
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  return tags.includes('*') || tags.includes(etagOf(version));
}
