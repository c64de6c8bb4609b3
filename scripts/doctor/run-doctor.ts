import { quoteSnapshot } from '../../shared/broker/quote-snapshot';
import type { AccountSummary, BrokerOrder, BrokerPort, BrokerPosition, Execution } from '../../shared/broker/types';
import type { ResolvedConfig } from '../../shared/config/schema';
import { errorMessage } from '../../shared/errors/errors';
import type { Clock } from '../../shared/time/clock';
import { readClockAnchor } from '../../shared/time/sim-clock-file';
import { formatNewYork } from '../../shared/time/trading-calendar';
import { accountCheck, serverVersionCheck } from './account-check';
import { masterClientIdCheck, orderPrecautionsCheck, readOnlyApiCheck, type ApiEvidence } from './api-settings-checks';
import { clockCheck, sampleClock, type ClockSample } from './clock-check';
import { botClientIds, configCheck, doctorClientId } from './config-check';
import { databaseCheck, readDatabaseState } from './database-check';
import { CHECK_IDS, skipped, type CheckId, type CheckResult, type DoctorReport } from './doctor-model';
import { foreignPositions, foreignPositionsCheck } from './foreign-positions-check';
import { connectGateway, connectionLostCheck, DoctorOrderIds, gatewayCheck } from './gateway-check';
import { historicalDataCheck, historyRequest, type HistoryOutcome } from './historical-data-check';
import { marketDataCheck } from './market-data-check';
import { probeMarketData, type MarketDataProbe } from './market-data-probe';
import { openOrdersCheck } from './open-orders-check';
import { probeOrderFor, runOrderProbe, type ProbeOutcome } from './order-probe';
import type { RecordingLogger } from './recording-logger';
import { sessionCheck } from './session-check';
import { testSymbols } from './test-symbols';
import { buildReport } from './verdict';

export interface DoctorOptions {
  config: ResolvedConfig;
  configFile: string | undefined;
  /** Market time: the compressed clock in SIM (read from SIM_CLOCK_FILE, never created), else the system clock. */
  clock: Clock;
  log: RecordingLogger;
  /** --symbols; undefined: the defaults for the mode. */
  symbols: string[] | undefined;
  /** --probe-order: place and cancel a 1-share limit far from the market (refused in LIVE by the CLI). */
  probeOrder: boolean;
}

/** Waiting for a DB lock another process holds is not the doctor's job: it says the DB is locked. */
const DB_BUSY_TIMEOUT_MS = 2_000;
/** Quotes of holdings the foreign-position policy would touch: a few seconds, they only sharpen a warning. */
const HOLDING_QUOTE_TIMEOUT_MS = 3_000;

type Settled<T> = { value: T; problem?: undefined } | { value: undefined; problem: string };

/** A query's answer or why it has none; the adapter throws synchronously when the link is down, hence the thunk. */
async function settle<T>(query: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await query() };
  } catch (error) {
    return { value: undefined, problem: errorMessage(error) };
  }
}

/**
 * Runs every check against the configured gateway and DB and returns the report. Read-only unless
 * `probeOrder`: then one 1-share limit order, never in LIVE and never on an account the checks refused.
 * The checks that need nothing but the configuration (DB, session) run even when the gateway is down.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { config, clock, log } = options;
  const clientId = doctorClientId(config);
  const endpoint = `${config.ib.host}:${config.ib.port}`;
  const checks: CheckResult[] = [configCheck(config, options.configFile)];
  const dbState = readDatabaseState(config.paths.db, DB_BUSY_TIMEOUT_MS);
  checks.push(databaseCheck(dbState));
  checks.push(sessionCheck(config, clock.now(), clock.speed));
  const context = { mode: config.mode, endpoint, clientId, checkedAtMs: Date.now(), marketTime: formatNewYork(clock.now()) };
  const skipRest = (why: string) => {
    for (const id of CHECK_IDS) if (!checks.some((c) => c.id === id)) checks.push(skipped(id as CheckId, why));
  };
  if (checks[0]!.status === 'fail') {
    skipRest('the configuration must be fixed first');
    return buildReport(checks, { ...context, gatewayReachable: false, accounts: [] });
  }

  const orderIds = new DoctorOrderIds();
  const connection = await connectGateway(config, clientId, log, orderIds);
  checks.push(gatewayCheck(config, clientId, connection));
  if (!connection.reachable) {
    skipRest('the gateway was not reached');
    return buildReport(checks, { ...context, gatewayReachable: false, accounts: [] });
  }
  const { broker, info } = connection;
  // A link lost halfway (the gateway restarted, or lost IB: 1100) makes every later answer "unknown": the
  // gateway check says so at the end, and the verdict is "unreachable".
  const lost: string[] = [];
  const offConnection = broker.onConnectionEvent((event) => {
    if (event.kind === 'disconnected') lost.push(event.reason);
  });
  try {
    const summary = await settle<AccountSummary>(() => broker.accountSummary());
    const account = accountCheck(config, info.accounts, summary.value, summary.problem);
    checks.push(account, serverVersionCheck(info.serverVersion));

    const symbols = await testSymbols(broker, config.mode, options.symbols);
    let probe: MarketDataProbe | undefined;
    if (symbols.symbols.length > 0) probe = await probeMarketData(broker, symbols.symbols, log, config.ib.requestTimeoutMs);
    const market = marketDataCheck(config, probe, symbols.problem);
    market.details = { ...market.details, symbolsFrom: symbols.source };
    checks.push(market);
    checks.push(await historyCheck(broker, probe, symbols.symbols, clock.now()));

    const [positions, openOrders, executions] = await Promise.all([
      settle<BrokerPosition[]>(() => broker.positions()), settle<BrokerOrder[]>(() => broker.openOrders('all')), settle<Execution[]>(() => broker.executions()),
    ]);
    for (const order of openOrders.value ?? []) orderIds.above(order.orderId);

    const tradingAccount = config.ib.account ?? (info.accounts.length === 1 ? info.accounts[0] : undefined);
    const dbRows = dbState.kind === 'usable' ? dbState.activeRows : dbState.kind === 'missing' ? [] : undefined;
    const prices = await holdingPrices(broker, config, positions.value ?? [], dbRows, tradingAccount);
    checks.push(foreignPositionsCheck(config, { positions: positions.value ?? [], dbRows, tradingAccount, prices }, positions.problem));

    const ids = botClientIds(config);
    const bots = new Set([ids.dayTrader, ids.exitManager, ids.reconciler]);
    const orderProbe = options.probeOrder ? await probeOrderIfSafe(broker, config, account, probe) : undefined;
    const evidence: ApiEvidence = {
      mode: config.mode, doctorClientId: clientId, reconcilerClientId: ids.reconciler, botClientIds: bots,
      openOrders: openOrders.value, executions: executions.value, executionsProblem: executions.problem, probe: orderProbe,
    };
    checks.push(readOnlyApiCheck(evidence), masterClientIdCheck(evidence), orderPrecautionsCheck(evidence));
    checks.push(openOrdersCheck(openOrders.value, { bots, liquidate: config.ib.clientIds.liquidate, doctor: clientId }, openOrders.problem));

    const sample = await settle<ClockSample>(() => sampleClock(broker, clock));
    const anchorMissing = config.mode === 'SIM' && clock.speed === 1 && config.sim.speed !== 1 && !readClockAnchor(config.paths.simClock) ? config.paths.simClock : undefined;
    checks.push(clockCheck(sample.value, { mode: config.mode, clock, simAnchorMissing: anchorMissing }, sample.problem));
    if (lost.length > 0) {
      const index = checks.findIndex((c) => c.id === 'gateway');
      checks[index] = connectionLostCheck(config, clientId, lost);
    }
    return buildReport(checks, { ...context, gatewayReachable: true, accounts: info.accounts });
  } finally {
    offConnection();
    await broker.disconnect();
  }
}

async function historyCheck(broker: BrokerPort, probe: MarketDataProbe | undefined, symbols: readonly string[], nowMs: number): Promise<CheckResult> {
  // A symbol that got data, so a history refusal is about history, not about the symbol.
  const symbol = probe?.symbols.find((s) => s.data === 'live' || s.data === 'delayed')?.symbol ?? symbols[0];
  if (!symbol) return historicalDataCheck(undefined, undefined);
  let outcome: HistoryOutcome;
  try {
    outcome = { bars: await broker.historicalBars(symbol, historyRequest(nowMs)) };
  } catch (error) {
    outcome = { error };
  }
  return historicalDataCheck(symbol, outcome);
}

/** Prices of the US stocks protect/adopt would put a stop/target on: a pair priced from a distant average cost would close them at once. */
async function holdingPrices(
  broker: BrokerPort, config: ResolvedConfig, positions: readonly BrokerPosition[], dbRows: ReadonlyArray<{ symbol: string; quantity: number }> | undefined,
  tradingAccount: string | undefined,
): Promise<Map<string, number>> {
  const prices = new Map<string, number>();
  if (config.positions.foreignPolicy === 'ignore') return prices;
  const touched = foreignPositions(config, { positions, dbRows, tradingAccount, prices }).filter((f) => f.handling === 'protected' || f.handling === 'adopted');
  const symbols = [...new Set(touched.map((f) => f.position.symbol))];
  await Promise.all(symbols.map(async (symbol) => {
    try {
      const quote = await quoteSnapshot(broker, symbol, Math.min(HOLDING_QUOTE_TIMEOUT_MS, config.ib.requestTimeoutMs));
      const price = quote.last !== undefined && quote.last > 0 ? quote.last : (quote.bid! + quote.ask!) / 2;
      if (price > 0) prices.set(symbol, price);
    } catch {
      // No quote: the warning then says the pair is priced from the average cost, without today's price.
    }
  }));
  return prices;
}

/**
 * The probe order goes out only on an account the checks accepted, never in LIVE (the CLI refuses the flag
 * there before connecting; this is the second lock), and only with a price to stay far below.
 */
async function probeOrderIfSafe(broker: BrokerPort, config: ResolvedConfig, account: CheckResult, probe: MarketDataProbe | undefined): Promise<ProbeOutcome> {
  if (config.mode === 'LIVE') return { kind: 'not-run', why: 'never in LIVE' };
  if (account.status === 'fail') return { kind: 'not-run', why: 'the account check failed' };
  const priced = probe?.symbols
    .map((s) => ({ symbol: s.symbol, price: s.quote?.last ?? s.quote?.bid ?? s.quote?.ask }))
    .find((s): s is { symbol: string; price: number } => s.price !== undefined && s.price > 0);
  if (!priced) return { kind: 'not-run', why: 'no quote to price a limit far from the market' };
  return runOrderProbe(broker, probeOrderFor(priced.symbol, priced.price, Date.now()), config.ib.requestTimeoutMs);
}
