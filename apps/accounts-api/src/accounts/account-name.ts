import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationArguments } from 'class-validator';
import { NAME_MAX_LENGTH } from './account';

/**
 * What an account name may hold. Names are shown to people, in logs, tables
 * and terminals, so each rule shuts out characters that hide or disguise
 * text there: control characters (a NUL also breaks both stores' CHECKs),
 * lone surrogates (not text: a store would silently replace them), line
 * breaks, and the bidirectional formatting characters that reorder what
 * follows them ("Trojan Source", CVE-2021-42574). One list, so that the
 * validator, its message and the OpenAPI description cannot disagree.
 */
const NAME_RULES: readonly { readonly pattern: RegExp; readonly rule: string }[] = [
  { pattern: /\p{Cc}/u, rule: 'no control characters (U+0000–U+001F, U+007F–U+009F)' },
  { pattern: /\p{Cs}/u, rule: 'no lone surrogates (text must be well-formed Unicode)' },
  { pattern: /[\u2028\u2029]/u, rule: 'no line or paragraph separators (U+2028, U+2029)' },
  {
    pattern: /[\u202A-\u202E\u2066-\u2069]/u,
    rule: 'no bidirectional embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069)',
  },
];

export const NAME_RULE = `1 to ${NAME_MAX_LENGTH} characters of printable Unicode, stored in NFC: ${NAME_RULES.map((r) => r.rule).join('; ')}`;

/** The first rule a name breaks, with the offending character, or undefined when it is a good name. */
export function nameProblem(name: string): string | undefined {
  for (const { pattern, rule } of NAME_RULES) {
    const match = pattern.exec(name);
    if (match) {
      const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return `${rule}; found U+${code} at character ${[...name.slice(0, match.index)].length + 1}`;
    }
  }
  return undefined;
}

/**
 * NFC, so that a name typed with a combining accent and one typed with the
 * precomposed letter are one name. Runs before validation (the global pipe
 * transforms); a lone surrogate passes through normalize() unchanged, for
 * the rules to refuse.
 */
export const NormalizeName = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC') : value));

/** class-validator's check of NAME_RULES; its message names the rule broken and where. */
export function IsAccountName(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'isAccountName',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || nameProblem(value) === undefined,
        defaultMessage: ({ property, value }: ValidationArguments) =>
          `${property} must have ${nameProblem(value as string)}`,
      },
    });
  };
}
