import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copyName,
  journalsOf,
  listCopies,
  partialFile,
  pruneCopies,
  removePartials,
  withJournals,
} from './backup-copies';

describe('the copies in the backup folder', () => {
  let dir: string;
  const put = (...names: string[]) => names.forEach((name, i) => writeFileSync(join(dir, name), 'x'.repeat(i + 1)));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accounts-copies-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names a copy by the time it was taken, to the millisecond, so that names sort by age', () => {
    expect(copyName(new Date('2026-12-05T17:15:00.123Z'))).toBe('accounts-20261205T171500123Z.db');
    expect(copyName(new Date('2027-01-01T00:00:00.000Z')) > copyName(new Date('2026-12-31T23:59:59.999Z'))).toBe(true);
  });

  it('lists the copies newest first, with their time and size, and nothing else in the folder', () => {
    put(
      'accounts-20261205T171500123Z.db',
      'accounts-20261205T171600000Z.db',
      'accounts-20261205T171400000Z.db',
      'accounts-20261205T171700000Z.db-wal',
      '.accounts-20261205T171800000Z.db.partial',
      'accounts-latest.db',
      'old-accounts-20261205T171500000Z.db',
      'accounts-20261205T171500000Z.db.bak',
      'notes.txt',
    );
    mkdirSync(join(dir, 'accounts-20261205T171900000Z.d'));

    expect(listCopies(dir)).toEqual([
      {
        name: 'accounts-20261205T171600000Z.db',
        file: join(dir, 'accounts-20261205T171600000Z.db'),
        takenAt: new Date('2026-12-05T17:16:00.000Z'),
        bytes: 2,
      },
      {
        name: 'accounts-20261205T171500123Z.db',
        file: join(dir, 'accounts-20261205T171500123Z.db'),
        takenAt: new Date('2026-12-05T17:15:00.123Z'),
        bytes: 1,
      },
      {
        name: 'accounts-20261205T171400000Z.db',
        file: join(dir, 'accounts-20261205T171400000Z.db'),
        takenAt: new Date('2026-12-05T17:14:00.000Z'),
        bytes: 3,
      },
    ]);
  });

  it('lists no copies in a folder that is not there, and fails on a file where the folder should be', () => {
    put('file');

    expect(listCopies(join(dir, 'none'))).toEqual([]);
    expect(() => listCopies(join(dir, 'file'))).toThrow(/ENOTDIR/);
  });

  it('removes the oldest copies beyond the number kept, and nothing else', () => {
    put(
      'accounts-20261205T171400000Z.db',
      'accounts-20261205T171500000Z.db',
      'accounts-20261205T171600000Z.db',
      'accounts-20261205T171700000Z.db',
      'notes.txt',
    );

    expect(pruneCopies(dir, 2)).toEqual(['accounts-20261205T171500000Z.db', 'accounts-20261205T171400000Z.db']);
    expect(readdirSync(dir).sort()).toEqual([
      'accounts-20261205T171600000Z.db',
      'accounts-20261205T171700000Z.db',
      'notes.txt',
    ]);
    expect(pruneCopies(dir, 2)).toEqual([]);
  });

  it('removes partial copies and their journals, and nothing else', () => {
    const partial = partialFile(dir, 'accounts-20261205T171400000Z.db');
    expect(partial).toBe(join(dir, '.accounts-20261205T171400000Z.db.partial'));
    put('accounts-20261205T171300000Z.db', 'notes.partial', 'x.accounts-1.db.partial', '.accounts-1.db.partial.kept');
    for (const file of withJournals(partial)) writeFileSync(file, 'half');

    removePartials(dir);

    expect(readdirSync(dir).sort()).toEqual([
      '.accounts-1.db.partial.kept',
      'accounts-20261205T171300000Z.db',
      'notes.partial',
      'x.accounts-1.db.partial',
    ]);
  });

  it('names the journal files SQLite keeps beside a store', () => {
    expect(journalsOf('/s/a.db')).toEqual(['/s/a.db-wal', '/s/a.db-shm', '/s/a.db-journal']);
    expect(withJournals('/s/a.db')).toEqual(['/s/a.db', '/s/a.db-wal', '/s/a.db-shm', '/s/a.db-journal']);
  });
});
