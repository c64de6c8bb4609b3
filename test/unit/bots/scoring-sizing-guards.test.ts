import { loadConfig } from '../../../shared/config/load-config';
import { scoreCandidate } from '../../../apps/day-trader/scoring';
import { sizePosition } from '../../../apps/day-trader/sizing';
import { entryBlockers } from '../../../apps/day-trader/entry-guards';
import { newYorkTime } from '../../../shared/time/trading-calendar';
import type { Heartbeat } from '../../../shared/db/repositories/heartbeats-repository';

const config = loadConfig({ env: {} });
const strategy = config.strategy;

describe('candidate scoring', () => {
  const gapper = { symbol: 'GAP', price: 50, rsi: 45, atrPct: 0.9, gapPct: 7, relativeVolume: 3, spreadPct: 0.05 };

  it('scores a gap-and-go with every component (hand-computed)', () => {
    // gap 7%: 25 + 10*(2/5) = 29; rsi 45: 20*(15/30) = 10; atr 0.9: 15*(0.6/0.9) = 10; rv 3: 20; spread 0.05: 10*(1-0.1) = 9  => 78
    expect(scoreCandidate(gapper, strategy)).toEqual({ accepted: true, score: 78, reason: expect.stringMatching(/^gap_and_go/) });
  });

  it('applies the hard rules whatever the score: RSI(14) < 60, ATR >= 0.3%, spread <= 0.5%', () => {
    expect(scoreCandidate({ ...gapper, rsi: 60 }, strategy)).toMatchObject({ accepted: false, reason: expect.stringMatching(/^rsi_too_high/) });
    expect(scoreCandidate({ ...gapper, atrPct: 0.29 }, strategy)).toMatchObject({ accepted: false, reason: expect.stringMatching(/^atr_too_low/) });
    expect(scoreCandidate({ ...gapper, spreadPct: 0.6 }, strategy)).toMatchObject({ accepted: false, reason: expect.stringMatching(/^spread_too_wide/) });
  });

  it('rejects a quiet name below the minimum score and refuses missing data', () => {
    const quiet = { symbol: 'Q', price: 50, rsi: 50, atrPct: 0.35, gapPct: 0.5, relativeVolume: 1.1, spreadPct: 0.05 };
    const decision = scoreCandidate(quiet, strategy);
    expect(decision.accepted).toBe(false);
    expect(decision.reason).toMatch(/^score_below_minimum/);
    expect(scoreCandidate({ symbol: 'X', price: 50 }, strategy)).toEqual({ accepted: false, score: 0, reason: 'insufficient_data' });
  });
});

describe('position sizing', () => {
  it('takes the smallest of risk, allocation, max position and gross room', () => {
    // net liq 100k, price 50: risk 500/(0.45) = 1111; allocation 25k/50 = 500; max position 10k/50 = 200; gross room 80k/50 = 1600
    expect(sizePosition({ entryPrice: 50, netLiquidation: 100_000, grossPositionValue: 0 }, strategy, config.risk)).toEqual({
      ok: true, quantity: 200, limitingRule: 'max_position', stopLossPrice: 49.55, profitTargetPrice: 50.9,
    });
    // 75k already out: room 5k/50 = 100 shares
    expect(sizePosition({ entryPrice: 50, netLiquidation: 100_000, grossPositionValue: 75_000 }, strategy, config.risk)).toMatchObject({ ok: true, quantity: 100, limitingRule: 'max_gross_exposure' });
    // risk 0.05% of 100k = 50 / 0.45 = 111 shares
    expect(sizePosition({ entryPrice: 50, netLiquidation: 100_000, grossPositionValue: 0 }, strategy, { ...config.risk, riskPerTradePct: 0.05 })).toMatchObject({ quantity: 111, limitingRule: 'risk_per_trade' });
  });

  it('refuses when no whole share fits', () => {
    expect(sizePosition({ entryPrice: 50, netLiquidation: 100_000, grossPositionValue: 80_000 }, strategy, config.risk)).toEqual({ ok: false, reason: 'size_zero (max_gross_exposure)' });
    expect(sizePosition({ entryPrice: 0, netLiquidation: 100_000, grossPositionValue: 0 }, strategy, config.risk)).toEqual({ ok: false, reason: 'no_price_or_equity' });
  });
});

describe('entry guards', () => {
  const realNowMs = 1_000_000;
  const readyExitManager: Heartbeat = {
    app: 'exit-manager', pid: 1, state: 'ready', beatAtMs: realNowMs - 500, startedAtMs: 0, readyAtMs: 1, progressAtMs: realNowMs - 500,
    loopLagMs: 1, brokerConnected: true, brokerDownSinceMs: null, detail: { protecting: true },
  };
  const base = { nowMs: newYorkTime('2026-11-23', '10:30'), realNowMs, exitManager: readyExitManager, brokerConnected: true, realizedPnlToday: 0, unrealizedPnl: 0, netLiquidation: 100_000 };

  it('allows entries when everything is fine', () => {
    expect(entryBlockers(base, config)).toEqual([]);
  });

  it('blocks without a fresh, ready, protecting exit manager', () => {
    expect(entryBlockers({ ...base, exitManager: undefined }, config)).toEqual(['exit_manager_never_started']);
    expect(entryBlockers({ ...base, exitManager: { ...readyExitManager, beatAtMs: realNowMs - 5_000 } }, config)[0]).toMatch(/^exit_manager_heartbeat_stale/);
    expect(entryBlockers({ ...base, exitManager: { ...readyExitManager, state: 'starting' } }, config)).toEqual(['exit_manager_starting']);
    expect(entryBlockers({ ...base, exitManager: { ...readyExitManager, brokerConnected: false } }, config)).toEqual(['exit_manager_broker_disconnected']);
    expect(entryBlockers({ ...base, exitManager: { ...readyExitManager, detail: { protecting: false } } }, config)).toEqual(['exit_manager_not_protecting_yet']);
  });

  it('blocks outside the session, after the cut-off, and past the daily loss limit', () => {
    expect(entryBlockers({ ...base, nowMs: newYorkTime('2026-11-23', '09:00') }, config)).toEqual(['market_not_open']);
    expect(entryBlockers({ ...base, nowMs: newYorkTime('2026-11-23', '15:31') }, config)).toEqual(['entry_cutoff']);
    expect(entryBlockers({ ...base, nowMs: newYorkTime('2026-11-27', '12:31') }, config)).toEqual(['entry_cutoff']); // early close at 13:00
    expect(entryBlockers({ ...base, realizedPnlToday: -1_500, unrealizedPnl: -500 }, config)[0]).toMatch(/^daily_loss_limit/);
    expect(entryBlockers({ ...base, realizedPnlToday: -1_500, unrealizedPnl: -499 }, config)).toEqual([]);
  });

  it('blocks when IB gave no P&L (the loss limit cannot be checked), under a trading halt, and without market data', () => {
    expect(entryBlockers({ ...base, unrealizedPnl: undefined }, config)).toEqual(['unrealized_pnl_unknown (IB gave no P&L: the daily loss limit cannot be checked)']);
    expect(entryBlockers({ ...base, halt: { reason: 'emergency liquidation', setBy: 'liquidate' } }, config)).toEqual(['trading_halted (emergency liquidation, by liquidate)']);
    expect(entryBlockers({ ...base, marketData: 'unavailable' }, config)).toEqual(['no_market_data']);
    expect(entryBlockers({ ...base, marketData: 'delayed' }, config)).toEqual([]);
  });
});
