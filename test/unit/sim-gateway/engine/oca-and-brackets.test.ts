import { EngineHarness } from './engine-harness';

/** OCA groups (IB ocaType 1 cancel, 2/3 reduce) and staged brackets (transmit=false parent + children). */
describe('BrokerEngine OCA groups and brackets', () => {
  let h: EngineHarness;
  beforeEach(() => {
    h = new EngineHarness();
    h.market.set('AAA', { last: 10.0, bid: 9.98, ask: 10.02, bidSize: 5_000, askSize: 5_000 });
  });
  afterEach(() => h.close());

  function holdLong(shares: number): void {
    h.place(1, 1, 'AAA', { action: 'BUY', orderType: 'MKT', totalQuantity: shares });
    expect(h.order(1, 1).status).toBe('Filled');
  }

  describe('OCA', () => {
    it('type 1: a fill of one order cancels its siblings (202 to the owner)', () => {
      holdLong(100);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 100, ocaGroup: 'exit-1', ocaType: 1 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100, ocaGroup: 'exit-1', ocaType: 1 });
      h.place(1, 4, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 8, totalQuantity: 100, ocaGroup: 'other', ocaType: 1 });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02 });
      expect(h.fillsOf(2)).toEqual([{ shares: 100, price: 11 }]);
      expect(h.order(1, 3).status).toBe('Cancelled');
      expect(h.order(1, 4).status).toBe('Submitted'); // another group is untouched
      expect(h.errors).toEqual([{ clientId: 1, orderId: 3, code: 202, message: expect.stringContaining('OCA group exit-1') }]);
      h.tick('AAA', { last: 8.9, bid: 8.88, ask: 8.92 });
      expect(h.fillsOf(3)).toEqual([]);
    });

    it('type 1: even a partial fill cancels the siblings', () => {
      holdLong(500);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 500, ocaGroup: 'g', ocaType: 1 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 500, ocaGroup: 'g', ocaType: 1 });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02, bidSize: 200 });
      expect(h.order(1, 2)).toMatchObject({ status: 'Submitted', filled: 200 });
      expect(h.order(1, 3).status).toBe('Cancelled');
    });

    it('type 2: a fill reduces the siblings by the filled shares, and cancels them at zero', () => {
      holdLong(100);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 100, ocaGroup: 'g2', ocaType: 2 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100, ocaGroup: 'g2', ocaType: 2 });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02, bidSize: 40 });
      expect(h.order(1, 2)).toMatchObject({ status: 'Submitted', filled: 40 });
      expect(h.order(1, 3)).toMatchObject({ status: 'Submitted', totalQuantity: 60, filled: 0 });
      expect(h.orderEvents.filter((o) => o.orderId === 3).map((o) => o.totalQuantity)).toContain(60); // the client is told
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02, bidSize: 100 });
      expect(h.order(1, 2)).toMatchObject({ status: 'Filled', filled: 100 });
      expect(h.order(1, 3)).toMatchObject({ status: 'Cancelled', totalQuantity: 0 });
      expect(h.errors.map((e) => [e.orderId, e.code])).toEqual([[3, 202]]);
    });

    it('type 3 reduces like type 2', () => {
      holdLong(100);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 100, ocaGroup: 'g3', ocaType: 3 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100, ocaGroup: 'g3', ocaType: 3 });
      h.tick('AAA', { last: 8.95, bid: 8.9, ask: 8.97, bidSize: 30 });
      expect(h.order(1, 3)).toMatchObject({ filled: 30, lastFillPrice: 8.9 });
      expect(h.order(1, 2)).toMatchObject({ status: 'Submitted', totalQuantity: 70 });
    });
  });

  describe('an order joining an OCA group that already traded (IB cancels the remaining orders of a completed group)', () => {
    /** The chaos find: a stop already through the market fills as it arrives; the take-profit sent behind it joins the filled group. */
    function stopFilledOnArrival(ocaType: number): void {
      holdLong(1_000);
      h.tick('AAA', { last: 9.5, bid: 9.48, ask: 9.52, bidSize: 5_000 });
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9.9, totalQuantity: 1_000, ocaGroup: 'P-1:OCA:1', ocaType });
      expect(h.order(1, 2)).toMatchObject({ status: 'Filled', filled: 1_000 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 10.2, totalQuantity: 1_000, ocaGroup: 'P-1:OCA:1', ocaType });
    }

    it.each([1, 2, 3])('ocaType %d: the late order is cancelled as it arrives (202) and never trades', (ocaType) => {
      h.lateOcaJoinRules = true;
      stopFilledOnArrival(ocaType);
      expect(h.order(1, 3)).toMatchObject({ status: 'Cancelled', filled: 0 });
      expect(h.errors).toEqual([{ clientId: 1, orderId: 3, code: 202, message: expect.stringContaining('OCA group P-1:OCA:1 already filled') }]);
      h.tick('AAA', { last: 10.3, bid: 10.3, ask: 10.32 });
      expect(h.fillsOf(3)).toEqual([]);
      expect(h.engine.positionOf('AAA')).toBe(0); // never short
    });

    it('type 1: a member that traded only in part already cancels the newcomer', () => {
      h.lateOcaJoinRules = true;
      holdLong(500);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 500, ocaGroup: 'g', ocaType: 1 });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02, bidSize: 200 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 500, ocaGroup: 'g', ocaType: 1 });
      expect(h.order(1, 3).status).toBe('Cancelled');
    });

    it('type 2: a group that only partly traded keeps the newcomer (IB documents no re-balancing of a later order)', () => {
      h.lateOcaJoinRules = true;
      holdLong(500);
      h.place(1, 2, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 500, ocaGroup: 'g', ocaType: 2 });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02, bidSize: 200 });
      h.place(1, 3, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 300, ocaGroup: 'g', ocaType: 2 });
      expect(h.order(1, 3)).toMatchObject({ status: 'Submitted', totalQuantity: 300 });
    });

    it('with the switch off (the ideal profile) the late order works beside the filled one', () => {
      stopFilledOnArrival(2);
      expect(h.order(1, 3)).toMatchObject({ status: 'Submitted' });
    });
  });

  describe('brackets', () => {
    /** Parent BUY LMT 10.00 (id 10), take profit SELL LMT 11 (id 11), stop SELL STP 9 (id 12, transmits all). */
    function placeBracket(parentLimit: number, transmitLast = true): void {
      expect(h.place(1, 10, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: parentLimit, totalQuantity: 100, transmit: false, orderRef: 'pos-1' })).toBeUndefined();
      expect(h.place(1, 11, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 100, parentId: 10, transmit: false, ocaGroup: 'oca-pos-1', ocaType: 1 })).toBeUndefined();
      expect(h.place(1, 12, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100, parentId: 10, transmit: transmitLast, ocaGroup: 'oca-pos-1', ocaType: 1 })).toBeUndefined();
    }

    it('nothing works while staged, even a marketable parent', () => {
      placeBracket(10.5, false);
      h.tick('AAA', { last: 10.0, bid: 9.98, ask: 10.02 });
      expect(h.executions).toEqual([]);
      for (const id of [10, 11, 12]) expect(h.order(1, id)).toMatchObject({ status: 'PreSubmitted', transmitted: false, whyHeld: 'untransmitted' });
    });

    it('the last child with transmit=true releases the parent; children wait for its fill, then work', () => {
      expect(h.place(1, 10, 'AAA', { action: 'BUY', orderType: 'LMT', lmtPrice: 10.5, totalQuantity: 100, transmit: false })).toBeUndefined();
      expect(h.executions).toEqual([]);
      expect(h.place(1, 11, 'AAA', { action: 'SELL', orderType: 'LMT', lmtPrice: 11, totalQuantity: 100, parentId: 10, transmit: false, ocaGroup: 'o', ocaType: 1 })).toBeUndefined();
      expect(h.executions).toEqual([]);
      expect(h.place(1, 12, 'AAA', { action: 'SELL', orderType: 'STP', auxPrice: 9, totalQuantity: 100, parentId: 10, transmit: true, ocaGroup: 'o', ocaType: 1 })).toBeUndefined();
      expect(h.fillsOf(10)).toEqual([{ shares: 100, price: 10.02 }]);
      expect(h.order(1, 11)).toMatchObject({ status: 'Submitted', whyHeld: '' });
      expect(h.order(1, 12)).toMatchObject({ status: 'Submitted', whyHeld: '' });
      h.tick('AAA', { last: 11.0, bid: 11.0, ask: 11.02 });
      expect(h.fillsOf(11)).toEqual([{ shares: 100, price: 11 }]);
      expect(h.order(1, 12).status).toBe('Cancelled');
      expect(h.engine.getPositions()).toEqual([]);
    });

    it('children do not trade before the parent fills, whatever the market does', () => {
      placeBracket(9.5);
      expect(h.order(1, 10).status).toBe('Submitted');
      expect(h.order(1, 11)).toMatchObject({ status: 'PreSubmitted', whyHeld: 'child' });
      h.tick('AAA', { last: 11.2, bid: 11.2, ask: 11.22 }); // the take profit would be marketable
      h.tick('AAA', { last: 8.9, bid: 8.88, ask: 9.6 }); // the stop would trigger; the parent's limit is below the ask
      expect(h.executions).toEqual([]);
      expect(h.order(1, 12)).toMatchObject({ status: 'PreSubmitted', triggered: false });
      h.tick('AAA', { last: 9.3, bid: 9.28, ask: 9.3 });
      expect(h.fillsOf(10)).toEqual([{ shares: 100, price: 9.3 }]);
      expect(h.order(1, 12)).toMatchObject({ status: 'Submitted', triggered: false });
      h.tick('AAA', { last: 8.95, bid: 8.93, ask: 8.97 });
      expect(h.fillsOf(12)).toEqual([{ shares: 100, price: 8.93 }]);
      expect(h.order(1, 11).status).toBe('Cancelled');
      expect(h.engine.getPositions()).toEqual([]);
    });

    it('cancelling the parent cancels its children', () => {
      placeBracket(9.5);
      expect(h.engine.cancelOrder(1, 10)).toBeUndefined();
      for (const id of [10, 11, 12]) expect(h.order(1, id).status).toBe('Cancelled');
      expect(h.errors.map((e) => [e.orderId, e.code])).toEqual([[10, 202], [11, 202], [12, 202]]);
      h.tick('AAA', { last: 9.4, bid: 9.38, ask: 9.4 });
      expect(h.executions).toEqual([]);
    });

    it('cancelling a staged parent cancels its staged children', () => {
      placeBracket(10.5, false);
      expect(h.engine.cancelOrder(1, 10)).toBeUndefined();
      for (const id of [10, 11, 12]) expect(h.order(1, id).status).toBe('Cancelled');
    });
  });
});
