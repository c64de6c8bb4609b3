/**
 * Order ids for the liquidation client. With a usable DB the persisted high-water mark is used (IB's
 * nextValidId is not durable); when the DB is missing or fails mid-run, ids continue in memory from
 * max(broker nextValidId, last id handed out) so the emergency never stops for the DB.
 */
export class LiquidationOrderIds {
  private lastId = 0;

  /** `reserveFromDb` returns undefined when the DB cannot be used (it never throws). */
  constructor(private readonly reserveFromDb: (clientId: number, brokerNextValidId: number, count: number) => number | undefined) {}

  /** The first of `count` ids (the adapter reserves blocks); the whole block is persisted when the DB works. */
  reserve(clientId: number, brokerNextValidId: number, count = 1): number {
    const floor = Math.max(brokerNextValidId, this.lastId + 1);
    const id = Math.max(floor, this.reserveFromDb(clientId, floor, count) ?? floor);
    this.lastId = id + count - 1;
    return id;
  }
}
