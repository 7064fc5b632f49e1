import { Migration } from '@mikro-orm/migrations';

/**
 * A fence per running idempotency-key claim: each claim and each takeover of a lapsed
 * lease get a new `claim_id`, and a request's writes to its key are conditioned on its
 * own. With it the lease can be short (renewed while the request works), since a
 * request that stalls past its lease can no longer act once a retry took over.
 */
export class Migration20261122100000_key_claims extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "idempotency_key" add column "claim_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "idempotency_key" drop column "claim_id";`);
  }
}
