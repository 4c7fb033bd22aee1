import { pageOf } from './page';

describe('pageOf', () => {
  it('links the next page with the same limit (a slice with more after it is full), and none after the last', () => {
    expect(pageOf({ data: [1, 2], nextCursor: 'YWZ0ZXI6Mg' }, '/things')).toEqual({
      data: [1, 2],
      next: '/things?limit=2&cursor=YWZ0ZXI6Mg',
    });
    expect(pageOf({ data: [3], nextCursor: null }, '/things')).toEqual({ data: [3], next: null });
  });

  it('keeps the filters that have a value on the next link, and none on the last page', () => {
    const slice = { data: [1], nextCursor: 'YWZ0ZXI6MQ' };
    expect(pageOf(slice, '/log', { actor: 'ops', type: undefined }).next).toBe(
      '/log?limit=1&cursor=YWZ0ZXI6MQ&actor=ops',
    );
    expect(pageOf({ data: [2], nextCursor: null }, '/log', { actor: 'ops' }).next).toBeNull();
  });
});
