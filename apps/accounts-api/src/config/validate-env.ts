// enableImplicitConversion reads the design:type metadata that decorators emit.
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

type EnvClass<T> = new () => T;

/**
 * Validates `process.env` against a class of `class-validator` rules and
 * returns the typed result, or throws one error naming every bad variable so
 * that the app refuses to start with a message that says what to fix.
 */
export function validateEnv<T extends object>(schema: EnvClass<T>, env: NodeJS.ProcessEnv = process.env): T {
  const values = plainToInstance(schema, env, { enableImplicitConversion: true });
  const errors = validateSync(values, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.map((error) => {
      const rules = Object.values(error.constraints ?? {}).join(', ');
      return `${error.property}=${JSON.stringify(env[error.property] ?? null)}: ${rules}`;
    });
    throw new Error(`Invalid environment: ${problems.join('; ')}`);
  }
  return values;
}
