import { Injectable } from '@nestjs/common';
import { Metrics } from '../metrics/metrics';
import { Store } from '../store/store';

/** Far more than the accounts a replica serves between two writes; past it, answers are loaded but not kept. */
const MAX_ENTRIES = 10_000;

/**
 * Read answers kept in memory for as long as the accounts have not changed,
 * on this replica or any other: every lookup first reads the store's
 * accounts version, and a new version drops everything kept. A write on one
 * replica is therefore seen by the next read on every other.
 *
 * What is kept is shared between requests and must not be changed by them.
 */
@Injectable()
export class AccountsCache {
  private version?: string;
  private readonly entries = new Map<string, unknown>();

  constructor(
    private readonly store: Store,
    private readonly metrics: Metrics,
  ) {}

  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    // Read before the data: data loaded after it is at least as new as the version it is kept under.
    const version = await this.store.accountsVersion();
    if (version !== this.version) {
      this.version = version;
      this.entries.clear();
    }
    if (this.entries.has(key)) {
      this.metrics.cacheLookup('hit');
      return this.entries.get(key) as T;
    }
    this.metrics.cacheLookup('miss');
    const value = await load();
    // A newer version may have been seen while this one loaded; its entries are not this one's.
    if (this.version === version && this.entries.size < MAX_ENTRIES) this.entries.set(key, value);
    return value;
  }
}
