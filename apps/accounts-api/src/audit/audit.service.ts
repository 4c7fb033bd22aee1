import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_SIZE } from '../common/http/page-query.dto';
import { decodeCursor, sliceOf, type Slice } from '../common/paging/keyset';
import { Store } from '../store/store';
import type { AuditEventType } from './audit-trail';
import type { AuditEvent } from './dto/audit-event.dto';
import type { AuditQuery } from './dto/audit-query.dto';

/** Reads the audit trail; writes go through recordAudit, inside the change's own transaction. */
@Injectable()
export class AuditService {
  constructor(private readonly store: Store) {}

  /** Oldest first, so that a reader can follow the trail with the `next` links as it grows. */
  async list(query: AuditQuery): Promise<Slice<AuditEvent>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    let select = this.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', decodeCursor(query.cursor))
      .orderBy('id')
      .limit(limit + 1);
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    return sliceOf(await select.execute(), limit, (row) => ({
      id: row.id,
      occurredAt: row.occurred_at,
      type: row.type as AuditEventType,
      actor: row.actor,
      requestId: row.request_id,
      subject: row.subject,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));
  }
}
