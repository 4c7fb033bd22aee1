import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { seedConfig } from '../config/seed.config';
import { AccountsService } from './accounts.service';

describe('AccountsService', () => {
  let dir: string;
  let file: string;

  const createService = async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [AccountsService, { provide: seedConfig.KEY, useValue: { file } }],
    }).compile();
    return moduleRef.get(AccountsService);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-spec-'));
    file = join(dir, 'accounts.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the seed accounts ordered by id, whatever the file order', async () => {
    writeFileSync(file, JSON.stringify([{ id: 3, name: 'fred', balance: 40 }, { id: 1, name: 'joe', balance: 10 }]));
    const service = await createService();

    service.onModuleInit();

    expect(service.list().map((a) => a.id)).toEqual([1, 3]);
    expect(service.isLoaded()).toBe(true);
  });

  it('refuses to list before the seed file is loaded', async () => {
    const service = await createService();

    expect(service.isLoaded()).toBe(false);
    expect(() => service.list()).toThrow(/before the seed file was loaded/);
  });

  it('fails init, and so the boot, on a bad seed file', async () => {
    writeFileSync(file, '{"not": "a list"}');
    const service = await createService();

    expect(() => service.onModuleInit()).toThrow(`Seed file ${file}: must hold a JSON array of accounts`);
  });
});
