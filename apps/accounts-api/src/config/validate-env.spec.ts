import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';
import { validateEnv } from './validate-env';

class ExampleEnv {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  readonly PORT?: number;

  @IsString()
  @IsNotEmpty()
  readonly SEED_FILE!: string;
}

describe('validateEnv', () => {
  it('converts and returns valid values', () => {
    expect(validateEnv(ExampleEnv, { PORT: '3000', SEED_FILE: '/data/a.json' })).toMatchObject({
      PORT: 3000,
      SEED_FILE: '/data/a.json',
    });
  });

  it('names every bad variable with its value and the rule it breaks', () => {
    const validate = () => validateEnv(ExampleEnv, { PORT: 'http' });

    expect(validate).toThrow(/^Invalid environment: /);
    expect(validate).toThrow(/PORT="http": .*must be an integer number/);
    expect(validate).toThrow(/SEED_FILE=null: .*should not be empty/);
  });
});
