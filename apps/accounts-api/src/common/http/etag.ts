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

/**
 * Whether `If-None-Match` (RFC 9110 §13.1.2) names the current version, so
 * that a GET may answer 304 with no body: compared weakly (`W/"3"` matches
 * `"3"`), and `*` matches whatever version there is.
 */
export function ifNoneMatchHits(ifNoneMatch: string | undefined, version: number): boolean {
  if (ifNoneMatch === undefined) return false;
  const current = etagOf(version);
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === current || tag === `W/${current}`);
}
