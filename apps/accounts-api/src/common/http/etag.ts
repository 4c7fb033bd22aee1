import { PreconditionFailedException } from '@nestjs/common';

/** A strong validator for one version of a resource. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * Honours `If-Match` (RFC 9110 §13.1.1): absent means "change it whatever
 * its version"; otherwise one of the listed tags, or `*`, must match the
 * current version, compared strongly (a weak `W/` tag never matches).
 */
export function assertIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined) return;
  const current = etagOf(version);
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  if (tags.includes('*') || tags.includes(current)) return;
  throw new PreconditionFailedException(
    `If-Match ${ifMatch} does not match the current ETag ${current}; GET the resource again and retry with its ETag`,
  );
}
