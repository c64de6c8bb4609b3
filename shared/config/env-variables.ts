/**
 * Every environment variable the system reads, the config path it sets and what it means.
 * Environment wins over the optional CONFIG_FILE (JSON or YAML with the nested camelCase keys).
 * The README's configuration table is this list.
 */
export interface EnvVariable {
  readonly name: string;
  readonly path: string;
  readonly description: string;
  /** For list values: split on commas. */
  readonly list?: boolean;
}

export const ENV_VARIABLES: readonly EnvVariable[] = [
  { name: 'MODE', path: 'mode', description: 'SIM (default, local simulator), PAPER or LIVE' },
  { name: 'ARM_LIVE_TRADING', path: 'armLiveTrading', description: 'must be "yes" for MODE=LIVE' },
  { name: 'IB_HOST', path: 'ib.host', description: 'gateway host (SIM: loopback only)' },
  { name: 'IB_PORT', path: 'ib.port', description: 'gateway port (SIM 4300, PAPER 4002, LIVE 4001 by default)' },
  { name: 'IB_ACCOUNT', path: 'ib.account', description: 'account the gateway must report (required for LIVE)' },
  { name: 'CLIENT_ID_DAY_TRADER', path: 'ib.clientIds.dayTrader', description: 'fixed client id (11)' },
  { name: 'CLIENT_ID_EXIT_MANAGER', path: 'ib.clientIds.exitManager', description: 'fixed client id (12)' },
  { name: 'CLIENT_ID_RECONCILER', path: 'ib.clientIds.reconciler', description: 'fixed client id (13)' },
  { name: 'CLIENT_ID_STATUS', path: 'ib.clientIds.status', description: 'client id of the status console (18)' },
  { name: 'CLIENT_ID_LIQUIDATE', path: 'ib.clientIds.liquidate', description: 'client id of the liquidate script (19)' },
  { name: 'CLIENT_ID_DOCTOR', path: 'ib.clientIds.doctor', description: 'client id of the doctor preflight (17)' },
  { name: 'IB_CONNECT_TIMEOUT_MS', path: 'ib.connectTimeoutMs', description: 'handshake deadline (5000)' },
  { name: 'IB_REQUEST_TIMEOUT_MS', path: 'ib.requestTimeoutMs', description: 'deadline for snapshots and queries (8000)' },
  { name: 'IB_LIVENESS_INTERVAL_MS', path: 'ib.livenessIntervalMs', description: 'gateway probe interval (1000)' },
  { name: 'IB_LIVENESS_TIMEOUT_MS', path: 'ib.livenessTimeoutMs', description: 'silence after which the socket is declared dead (3000)' },
  { name: 'IB_RECONNECT_MAX_DELAY_MS', path: 'ib.reconnectMaxDelayMs', description: 'reconnect back-off ceiling (2000): how late a bot can notice the gateway is back' },
  { name: 'DB_PATH', path: 'paths.db', description: 'shared SQLite file (data/trading.db)' },
  { name: 'DB_BUSY_TIMEOUT_MS', path: 'db.busyTimeoutMs', description: 'how long a bot waits for the write lock while it opens and migrates the DB at start (5000)' },
  { name: 'DB_BOT_BUSY_TIMEOUT_MS', path: 'db.botBusyTimeoutMs', description: 'how long a running bot\'s write waits for another process\'s lock before failing as retryable, real ms, 0-500 (50)' },
  { name: 'LOG_DIR', path: 'paths.logs', description: 'JSON-lines logs, one file per app (logs)' },
  { name: 'LOG_LEVEL', path: 'log.level', description: 'error, warn, info (default) or debug' },
  { name: 'LOG_CONSOLE', path: 'log.console', description: 'also print readable lines to stdout (true)' },
  { name: 'REPORTS_DIR', path: 'paths.reports', description: 'where reports are written (data/reports)' },
  { name: 'SIM_STATE_DIR', path: 'paths.simState', description: 'simulator broker state (data/sim)' },
  { name: 'SIM_CLOCK_FILE', path: 'paths.simClock', description: 'shared compressed-clock anchor (data/sim-clock.json)' },
  { name: 'SIM_ADMIN_PORT', path: 'sim.adminPort', description: 'simulator fault-control HTTP port on 127.0.0.1 (4301)' },
  { name: 'SIM_SEED', path: 'sim.seed', description: 'market seed: same seed, same market (42)' },
  { name: 'SIM_SPEED', path: 'sim.speed', description: 'market seconds per real second; 1 = real time (60)' },
  { name: 'SIM_START_DAY', path: 'sim.startDay', description: 'first simulated trading day, YYYY-MM-DD (next trading day)' },
  { name: 'SIM_DAY_START', path: 'sim.dayStart', description: 'compressed day starts at this NY time (09:00)' },
  { name: 'SIM_DAY_END', path: 'sim.dayEnd', description: 'and jumps to the next trading day at (16:15)' },
  { name: 'SIM_MARKET', path: 'sim.market', description: 'synthetic (seeded model) or replay (CSV minute bars)' },
  { name: 'SIM_REPLAY_DIR', path: 'sim.replayDir', description: 'folder of <SYMBOL>.csv minute bars for replay' },
  { name: 'SIM_UNIVERSE_SIZE', path: 'sim.universeSize', description: 'number of simulated symbols (40)' },
  { name: 'SIM_PROFILE', path: 'sim.profile', description: 'realistic (default: behaves like a real IB Gateway, see sim-gateway) or ideal (tidy, for latency benchmarks)' },
  { name: 'SIM_MARKET_DATA', path: 'sim.marketData', description: 'simulated account\'s market-data permissions: live, delayed or none (realistic: delayed; ideal: live)' },
  { name: 'SIM_FOREIGN_HOLDINGS', path: 'sim.foreignHoldings', description: 'seed the simulated account with holdings the bots never bought (realistic: yes; ideal: no)' },
  { name: 'MARKET_DATA_TYPE', path: 'marketData.type', description: 'live, delayed, or auto (default: live, falling back to delayed on IB 354/10089)' },
  { name: 'FOREIGN_POSITIONS', path: 'positions.foreignPolicy', description: 'stock positions the bots did not open: ignore (default), protect or adopt' },
  { name: 'AGENT_NAME', path: 'strategy.agentName', description: 'strategy name stored with every position (gap-momentum)' },
  { name: 'CAPITAL_ALLOCATION_PCT', path: 'strategy.capitalAllocationPct', description: 'share of net liquidation the strategy trades (25)' },
  { name: 'TAKE_PROFIT_PCT', path: 'strategy.takeProfitPct', description: 'profit target above entry (1.8)' },
  { name: 'STOP_LOSS_PCT', path: 'strategy.stopLossPct', description: 'stop below entry (0.9)' },
  { name: 'ENTRY_RSI_MAX', path: 'strategy.entryRsiMax', description: 'RSI(14) must be below this to enter (60)' },
  { name: 'MIN_ATR_PCT', path: 'strategy.minAtrPct', description: 'ATR(14) as % of price must be at least (0.3)' },
  { name: 'GAP_AND_GO_MIN_PCT', path: 'strategy.gapAndGoMinPct', description: 'pre-market gap that counts as gap-and-go (5)' },
  { name: 'MIN_SCORE', path: 'strategy.minScore', description: 'minimum candidate score 0-100 to enter (55)' },
  { name: 'MAX_SPREAD_PCT', path: 'strategy.maxSpreadPct', description: 'widest bid/ask spread accepted, % of price (0.5)' },
  { name: 'CANDIDATES_PER_SCAN', path: 'strategy.candidatesPerScan', description: 'rows requested from each scanner (20)' },
  { name: 'ENTRY_CUTOFF_MINUTES', path: 'strategy.entryCutoffMinutesBeforeClose', description: 'no new entries this many minutes before the close (30)' },
  { name: 'ENTRY_FILL_TIMEOUT_S', path: 'strategy.entryFillTimeoutSeconds', description: 'market seconds an entry may stay unfilled (120)' },
  { name: 'ENTRY_LIMIT_SLIPPAGE_PCT', path: 'strategy.entryLimitSlippagePct', description: 'entry limit price above the ask (0.2)' },
  { name: 'RISK_PER_TRADE_PCT', path: 'risk.riskPerTradePct', description: 'loss at the stop, % of net liquidation (0.5)' },
  { name: 'MAX_POSITION_PCT', path: 'risk.maxPositionPct', description: 'largest position, % of net liquidation (10)' },
  { name: 'MAX_GROSS_EXPOSURE_PCT', path: 'risk.maxGrossExposurePct', description: 'gross position value cap, % of net liquidation (80)' },
  { name: 'DAILY_LOSS_LIMIT_PCT', path: 'risk.dailyLossLimitPct', description: 'realized+unrealized loss that stops entries for the day (2)' },
  { name: 'MAX_OPEN_POSITIONS', path: 'risk.maxOpenPositions', description: 'open or pending positions at once (5)' },
  { name: 'EXIT_CHECK_INTERVAL_MS', path: 'exits.checkIntervalMs', description: 'protection verification period, real ms (500)' },
  { name: 'TRAILING_STOP_PCT', path: 'exits.trailingStopPct', description: 'trail the stop this far below the high; 0 = off (0)' },
  { name: 'TIME_EXIT_MINUTES', path: 'exits.timeExitMinutes', description: 'close positions older than this; 0 = off (0)' },
  { name: 'BROKER_SETTLE_MS', path: 'exits.brokerSettleMs', description: 'real ms after our last fill before a broker position report is believed (3000)' },
  { name: 'PROTECTION_MAX_REJECTIONS', path: 'exits.maxRejections', description: 'refused protective orders of one position before retries stop and an alert is raised (6)' },
  { name: 'EOD_FLATTEN_MINUTES', path: 'exits.eodFlattenMinutesBeforeClose', description: 'flatten everything this long before the close (10)' },
  { name: 'POSITION_RESYNC_S', path: 'intervals.positionResyncSeconds', description: 'full position resync, market seconds (100)' },
  { name: 'SCANNER_REFRESH_S', path: 'intervals.scannerRefreshSeconds', description: 'scan period, market seconds (900)' },
  { name: 'RECONCILE_INTERVAL_S', path: 'intervals.reconcileSeconds', description: 'reconciliation period, market seconds (60)' },
  { name: 'SUPERVISOR_STATUS_S', path: 'intervals.supervisorStatusSeconds', description: 'status line period, market seconds (300)' },
  { name: 'HEARTBEAT_INTERVAL_MS', path: 'process.heartbeatIntervalMs', description: 'heartbeat row period, real ms (1000)' },
  { name: 'EXIT_MANAGER_HEARTBEAT_MS', path: 'process.exitManagerHeartbeatIntervalMs', description: 'exit manager heartbeat period, real ms (250)' },
  { name: 'SHUTDOWN_GRACE_MS', path: 'process.shutdownGraceMs', description: 'graceful shutdown deadline, below PM2 kill_timeout (4000)' },
  { name: 'HEALTH_CHECK_INTERVAL_MS', path: 'supervisor.healthCheckIntervalMs', description: 'supervisor check period, real ms (1000)' },
  { name: 'HEARTBEAT_STALE_MS', path: 'supervisor.heartbeatStaleMs', description: 'heartbeat age that counts as hung, real ms (3000)' },
  { name: 'EXIT_MANAGER_STALE_MS', path: 'supervisor.exitManagerHeartbeatStaleMs', description: 'exit manager heartbeat age that counts as hung, real ms (1000)' },
  { name: 'STARTUP_GRACE_MS', path: 'supervisor.startupGraceMs', description: 'time a bot gets to boot before it counts as hung (8000)' },
  { name: 'RESTART_BACKOFF_BASE_MS', path: 'supervisor.restartBackoffBaseMs', description: 'first restart delay for bots other than the exit manager (1000)' },
  { name: 'RESTART_BACKOFF_MAX_MS', path: 'supervisor.restartBackoffMaxMs', description: 'restart delay ceiling (30000)' },
  { name: 'BROKER_DOWN_ALERT_S', path: 'supervisor.brokerDownAlertSeconds', description: 'broker disconnected this long in market hours is a health failure (30)' },
  { name: 'SCAN_TIMES', path: 'schedule.scanTimes', description: 'scheduled scans, NY time, comma separated (09:35,12:00)', list: true },
  { name: 'RECONCILE_AFTER_CLOSE_MIN', path: 'schedule.reconcileAfterCloseMinutes', description: 'post-close reconciliation (5)' },
  { name: 'REPORT_AFTER_CLOSE_MIN', path: 'schedule.reportAfterCloseMinutes', description: 'daily report after the close (10)' },
];

/** The env variable that sets a config path, for error messages that say what to change. */
export function envNameForPath(path: string): string | undefined {
  return ENV_VARIABLES.find((v) => v.path === path)?.name;
}
