import { EventName, ScanCode, type ScannerSubscription } from '@stoqey/ib';
import { InProcessGateway, type TestClient } from './in-process-gateway';

const scan = (scanCode: ScanCode): ScannerSubscription => ({ numberOfRows: 5, instrument: 'STK' as never, locationCode: 'STK.US.MAJOR' as never, scanCode });

describe('scanner subscriptions limit', () => {
  let sim: InProcessGateway;
  afterEach(async () => sim.stop());

  /** Subscribes and resolves with the error code, or 0 when results came. */
  function subscribe(client: TestClient, reqId: number, scanCode = ScanCode.MOST_ACTIVE): Promise<number> {
    const answer = Promise.race([
      client.next(EventName.scannerDataEnd, (id: number) => id === reqId).then(() => 0),
      client.next(EventName.error, (_e: Error, _code: number, id: number) => id === reqId).then((event) => event.args[1] as number),
    ]);
    client.ib.reqScannerSubscription(reqId, scan(scanCode)); // the client sends the code's name
    return answer;
  }

  it('switch on: one more than the limit is refused with 322, the others keep streaming; a cancel frees a slot', async () => {
    sim = await new InProcessGateway({ realism: { maxScannerSubscriptions: 2 }, refreshIntervalMs: 50 }).start();
    const client = await sim.connect(61);
    expect(await subscribe(client, 1)).toBe(0);
    expect(await subscribe(client, 2, ScanCode.TOP_PERC_GAIN)).toBe(0);
    expect(await subscribe(client, 3, ScanCode.HOT_BY_VOLUME)).toBe(322);
    expect(client.errorsOf(3)[0]!.message).toBe("Error processing request:-'id' : cause - Only 2 simultaneous API scanner subscriptions are allowed.");

    // The refused one never streams; the two others do (refreshed by the gateway's timer).
    await Promise.all([1, 2].map((id) => client.next(EventName.scannerDataEnd, (reqId: number) => reqId === id)));
    expect(client.of(3).map((e) => e.name)).toEqual([EventName.error]);

    // Another client has its own slots.
    const other = await sim.connect(62);
    expect(await subscribe(other, 1)).toBe(0);

    client.ib.cancelScannerSubscription(1);
    expect(await subscribe(client, 4, ScanCode.TOP_PERC_LOSE)).toBe(0);
    expect(await subscribe(client, 5)).toBe(322);
  });

  it('a scan code the simulator does not serve fails alone (321) and takes no slot', async () => {
    sim = await new InProcessGateway({ realism: { maxScannerSubscriptions: 2 } }).start();
    const client = await sim.connect(63);
    expect(await subscribe(client, 1)).toBe(0);
    expect(await subscribe(client, 2, ScanCode.HIGH_OPEN_GAP)).toBe(321);
    expect(await subscribe(client, 3, ScanCode.TOP_PERC_GAIN)).toBe(0);
  });

  it('switch off (0 = unlimited, the ideal profile): a dozen subscriptions all stream', async () => {
    sim = await new InProcessGateway().start();
    const client = await sim.connect(64);
    for (let reqId = 1; reqId <= 12; reqId++) expect(await subscribe(client, reqId)).toBe(0);
  });
});
