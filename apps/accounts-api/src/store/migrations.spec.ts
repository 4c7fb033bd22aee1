import { tempStore } from '../../test/support/temp-store';
import { migrate, MIGRATIONS } from './migrations';

describe('migrate', () => {
  let store: ReturnType<typeof tempStore>;
  beforeEach(() => (store = tempStore()));
  afterEach(() => store.dispose());

  it('records the latest version and applies nothing the second time', () => {
    expect(store.db.pragma('user_version')).toBe(MIGRATIONS.length);
    expect(migrate(store.db)).toEqual([]);
  });

  it('applies only the new versions, in order', () => {
    const next = [...MIGRATIONS, 'CREATE TABLE extra (id INTEGER PRIMARY KEY) STRICT;'];
    expect(migrate(store.db, next)).toEqual([MIGRATIONS.length + 1]);
    expect(store.db.pragma('user_version')).toBe(next.length);
  });

  it('leaves the schema and its version untouched when a migration fails', () => {
    const broken = [...MIGRATIONS, 'CREATE TABLE good (id INTEGER) STRICT; CREATE TABLE bad (;'];
    expect(() => migrate(store.db, broken)).toThrow(/syntax error/);
    expect(store.db.pragma('user_version')).toBe(MIGRATIONS.length);
    expect(store.db.get("SELECT name FROM sqlite_master WHERE name = 'good'")).toBeUndefined();
  });

  it('refuses a store written by a newer api', () => {
    store.db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(store.db)).toThrow(/newer than this api's/);
  });
});
