/** An account as clients see it. Balances are whole units: money is never a float. */
export interface Account {
  readonly id: number;
  readonly name: string;
  readonly balance: number;
}
