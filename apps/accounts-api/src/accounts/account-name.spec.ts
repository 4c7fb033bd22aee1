import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { nameProblem } from './account-name';
import { CreateAccountDto } from './dto/create-account.dto';

describe('account names', () => {
  it.each([
    ['a NUL', 'al\u0000ice', 'no control characters', 'U+0000 at character 3'],
    ['a tab', '\talice', 'no control characters', 'U+0009 at character 1'],
    ['DEL', 'alice\u007f', 'no control characters', 'U+007F at character 6'],
    ['a C1 control (NEL)', 'ali\u0085ce', 'no control characters', 'U+0085 at character 4'],
    ['a lone high surrogate', 'ali\ud800ce', 'no lone surrogates', 'U+D800 at character 4'],
    ['a lone low surrogate', '\udc00', 'no lone surrogates', 'U+DC00 at character 1'],
    ['a line separator', 'ali\u2028ce', 'no line or paragraph separators', 'U+2028'],
    ['a right-to-left override', 'invoice\u202Egpj.exe', 'no bidirectional', 'U+202E at character 8'],
    ['a first-strong isolate', '\u2068alice', 'no bidirectional', 'U+2068 at character 1'],
  ])('refuses %s, naming the rule and where', (_case, name, rule, where) => {
    expect(nameProblem(name)).toContain(rule);
    expect(nameProblem(name)).toContain(where);
  });

  it('counts characters, not UTF-16 units, in the position', () => {
    expect(nameProblem('🙂\u0000')).toContain('at character 2');
  });

  it.each(['alice', 'José Núñez', 'Zoë', 'محمد', '王小明', '🙂 savings', "O'Brien & Sons, Ltd."])(
    'accepts %j',
    (name) => {
      expect(nameProblem(name)).toBeUndefined();
    },
  );

  function validated(name: unknown) {
    const dto = plainToInstance(CreateAccountDto, { name });
    return { dto, errors: validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {})) };
  }

  it('stores names in NFC: a combining accent and the precomposed letter are one name', () => {
    const { dto, errors } = validated('Jose\u0301');
    expect(errors).toEqual([]);
    expect(dto.name).toBe('Jos\u00e9');
  });

  it('gives the DTO one message that names the rule', () => {
    expect(validated('al\u0000ice').errors).toEqual([expect.stringMatching(/^name must have no control characters/)]);
  });

  it('leaves a name that is not a string to the type check', () => {
    expect(validated(42).errors).toEqual(expect.arrayContaining(['name must be a string']));
  });
});
