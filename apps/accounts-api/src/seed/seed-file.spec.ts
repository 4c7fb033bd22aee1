import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeedFile, SeedFileError } from './seed-file';

describe('readSeedFile', () => {
  let dir: string;
  const write = (content: unknown) => {
    const file = join(dir, 'accounts.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every account, negative balances included', () => {
    const file = write([
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
    ]);

    expect(readSeedFile(file)).toEqual([
      { id: 1, name: 'joe', balance: 10 },
      { id: 2, name: 'bob', balance: -1 },
    ]);
  });

  it('stores names in NFC', () => {
    expect(readSeedFile(write([{ id: 1, name: 'Jose\u0301', balance: 0 }]))[0].name).toBe('Jos\u00e9');
  });

  it('refuses balances the issuance account could not issue: more than MAX_MONEY in, or out, in all', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const seed = (...balances: number[]) =>
      write(balances.map((balance, i) => ({ id: i + 1, name: `a${i}`, balance })));

    expect(readSeedFile(seed(max - 1, 1, -max, -1 + 1))).toHaveLength(4);
    expect(() => readSeedFile(seed(max, 1))).toThrow(
      `the positive balances add up to more than ${max} in all, which no account can hold; each is issued out of one issuance account`,
    );
    expect(() => readSeedFile(seed(-max, 5, -1))).toThrow(`the negative balances add up to more than ${max} in all`);
    expect(() => readSeedFile(seed(-max, -1))).toThrow(SeedFileError);
  });

  it('accepts an empty list', () => {
    expect(readSeedFile(write([]))).toEqual([]);
  });

  it.each([
    ['a missing file', null, /cannot be read \(ENOENT\)/],
    ['invalid JSON', '[{"id": 1,', /is not valid JSON/],
    ['a top-level object', { id: 1 }, /must hold a JSON array/],
    ['a record that is not an object', [1], /record 1 must be an object with id, name and balance$/],
    ['a null record', [null], /record 1 must be an object with id, name and balance$/],
    ['a record that is an array', [[1, 'a', 0]], /record 1 must be an object with id, name and balance$/],
    [
      'a record with no id',
      [
        { id: 1, name: 'a', balance: 1 },
        { name: 'b', balance: 1 },
      ],
      /: record 2: id must be an integer number$/,
    ],
    [
      'an id given as a string',
      [{ id: '7', name: 'a', balance: 1 }],
      /: record 1 \(id "7"\): id must be an integer number$/,
    ],
    [
      'a record with several problems, naming each',
      [{ id: 1, balance: 'x' }],
      /: record 1 \(id 1\): name must be a string; balance must be an integer number$/,
    ],
    ['a missing name', [{ id: 1, balance: 0 }], /record 1 \(id 1\): name must be a string$/],
    ['an empty name', [{ id: 1, name: '', balance: 0 }], /record 1 \(id 1\): name should not be empty$/],
    [
      'a name with a NUL',
      [{ id: 1, name: 'jo\u0000e', balance: 0 }],
      /record 1 \(id 1\): name must have no control characters .*U\+0000 at character 3$/,
    ],
    ['a fractional balance', [{ id: 1, name: 'a', balance: 1.5 }], /record 1 \(id 1\): balance must be an integer/],
    [
      'a balance given as a string',
      [{ id: 1, name: 'a', balance: '10' }],
      /record 1 \(id 1\): balance must be an integer number$/,
    ],
    [
      'an id that is not a positive integer',
      [{ id: 0, name: 'a', balance: 1 }],
      /record 1 \(id 0\): id must not be less than 1/,
    ],
    ['an unknown field', [{ id: 1, name: 'a', balance: 1, balanse: 2 }], /property balanse should not exist/],
    [
      'a duplicate id',
      [
        { id: 1, name: 'a', balance: 1 },
        { id: 1, name: 'b', balance: 2 },
      ],
      /record 2 \(id 1\): duplicate id 1/,
    ],
  ])('rejects %s, naming the file and the record', (_case, content, message) => {
    const file = content === null ? join(dir, 'missing.json') : write(content);

    const read = () => readSeedFile(file);

    expect(read).toThrow(SeedFileError);
    expect(read).toThrow(new RegExp(`^Seed file ${file.replace(/[.]/g, '\\.')}: `));
    expect(read).toThrow(message);
  });

  it('says which file failed, as SeedFileError with its name', () => {
    const file = write({});
    let error: unknown;
    try {
      readSeedFile(file);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SeedFileError);
    expect(error).toMatchObject({
      name: 'SeedFileError',
      file,
      message: `Seed file ${file}: must hold a JSON array of accounts`,
    });
  });
});
