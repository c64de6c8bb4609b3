// zod's v3 API (shipped in the zod 4 package): same validation, a quarter of the load time and memory, which
// every process pays at start (a restarted exit manager's start is unprotected time).
import { z } from 'zod/v3';
import { alertsConfigSchema } from './alerts-schema';

/** A boolean that env vars can carry: true/false, 1/0, yes/no, on/off. `z.coerce.boolean` would read "false" as true. */
const boolish = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
}, z.boolean());

const int = () => z.coerce.number().int();
const num = () => z.coerce.number();
const pct = (max: number) => z.coerce.number().gt(0).lte(max);
const port = () => z.coerce.number().int().min(1).max(65535);
const clientId = () => z.coerce.number().int().min(0).max(999_999);
const hhmm = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h, America/New_York)');

/** A JSON text, or the text itself when it is not JSON (the schema then says what is wrong with it). */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const MODES = ['SIM', 'PAPER', 'LIVE'] as const;
export type Mode = (typeof MODES)[number];

export const configSchema = z.object({
  mode: z.enum(MODES).default('SIM'),
  /** LIVE needs this set on purpose; see safety.ts. */
  armLiveTrading: boolish.default(false),

  ib: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      /** Default depends on the mode (see defaultPortFor); undefined here means "use that default". */
      port: port().optional(),
      /** The account the gateway must report; required for LIVE. */
      account: z.string().regex(/^[A-Z]{1,3}\d{3,10}$/, 'expected an IB account id such as U1234567 or DU1234567').optional(),
      clientIds: z
        .object({
          dayTrader: clientId().default(11),
          exitManager: clientId().default(12),
          reconciler: clientId().default(13),
          status: clientId().default(18),
          liquidate: clientId().default(19),
          /** npm run doctor: its own id, so a preflight never takes a bot's place (IB 326). */
          doctor: clientId().default(17),
          /** The dashboard's read-only broker link (prices, working orders), beside the status console's 18. */
          dashboard: clientId().default(16),
          /** The supervisor's short link that compares this machine's clock with the gateway's. */
          supervisor: clientId().default(15),
          /** npm run scan: one read-only scan through the gateway (places nothing). */
          scan: clientId().default(20),
          /** npm run bars -- download: historical bars from the gateway. */
          bars: clientId().default(21),
        })
        .default({}),
      connectTimeoutMs: int().min(500).max(120_000).default(5_000),
      requestTimeoutMs: int().min(500).max(120_000).default(8_000),
      /** How often the adapter probes the gateway (reqCurrentTime) and how long a silent socket is tolerated. */
      livenessIntervalMs: int().min(100).max(60_000).default(1_000),
      livenessTimeoutMs: int().min(500).max(120_000).default(3_000),
      reconnectMaxDelayMs: int().min(100).max(300_000).default(2_000),
    })
    .default({}),

  paths: z
    .object({
      db: z.string().min(1).default('data/trading.db'),
      logs: z.string().min(1).default('logs'),
      simState: z.string().min(1).default('data/sim'),
      simClock: z.string().min(1).default('data/sim-clock.json'),
      reports: z.string().min(1).default('data/reports'),
      /** Daily verified copies of the DB (npm run db-backup, and the supervisor after the close). */
      backups: z.string().min(1).default('data/backups'),
      /** The bar store of the backtester (SQLite, one row per symbol and day): npm run bars, npm run backtest. */
      bars: z.string().min(1).default('data/bars.db'),
    })
    .default({}),

  db: z
    .object({
      /** How long a bot waits for another connection's write lock while it opens and migrates the DB at start. */
      busyTimeoutMs: int().min(100).max(600_000).default(5_000),
      /**
       * How long a running bot's statement waits for another connection's write lock before it fails with
       * SQLITE_BUSY. better-sqlite3 waits synchronously: the whole event loop (broker events, heartbeats,
       * protection) stops for this long, so it stays far below the exit manager's staleness limit, and a
       * blocked write fails fast and is retried instead.
       */
      botBusyTimeoutMs: int().min(0).max(500).default(50),
    })
    .default({}),

  log: z
    .object({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
      console: boolish.default(true),
      /** Our JSON-lines log of an app rotates at this size (MB) and keeps `filesKept` rotated files. */
      fileMaxMb: num().min(0.01).max(10_000).default(50),
      filesKept: int().min(1).max(100).default(5),
      /** PM2's own out/err files (pm2-<app>.out.log / .err.log): the supervisor rotates them at this size. */
      pm2FileMaxMb: num().min(0.01).max(10_000).default(10),
      pm2FilesKept: int().min(1).max(100).default(5),
      /** The whole LOG_DIR: past it the supervisor deletes the oldest rotated files, and warns if that is not enough. */
      dirBudgetMb: num().min(1).max(1_000_000).default(1_024),
    })
    .default({}),

  sim: z
    .object({
      adminPort: port().default(4301),
      seed: int().min(0).default(42),
      /** Market seconds per real second; 1 = real time. */
      speed: num().min(1).max(10_000).default(60),
      /** First simulated trading day (YYYY-MM-DD); default: the next trading day from today. */
      startDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional(),
      /** The compressed clock plays each trading day from dayStart to dayEnd, then jumps to the next one. */
      dayStart: hhmm().default('09:00'),
      dayEnd: hhmm().default('16:15'),
      market: z.enum(['synthetic', 'replay']).default('synthetic'),
      replayDir: z.string().optional(),
      universeSize: int().min(30).max(500).default(40),
      /**
       * realistic (default): the simulator behaves like a real IB Gateway does to a first-time user: positions
       * lag the executions that caused them, order statuses overtake executions, executions get corrected,
       * the account holds things the bots never bought, data needs permissions, requests are paced.
       * ideal: tidy and synchronous, for benchmarks that measure our own latency.
       */
      profile: z.enum(['realistic', 'ideal']).default('realistic'),
      /** Market-data permissions of the simulated account; default: delayed on the realistic profile, live on ideal. */
      marketData: z.enum(['live', 'delayed', 'none']).optional(),
      /** Seed the account with holdings the bots never bought; default: on for realistic, off for ideal. */
      foreignHoldings: boolish.optional(),
    })
    .default({}),

  marketData: z
    .object({
      /**
       * live: real-time only (errors 354/10089/10168 without a subscription); delayed: 15-minute delayed data
       * (reqMarketDataType 3); auto: live, falling back to delayed when the account has no subscription.
       */
      type: z.enum(['live', 'delayed', 'auto']).default('auto'),
    })
    .default({}),

  positions: z
    .object({
      /**
       * What to do with stock positions (STK, USD, this account) the bots did not open: ignore (default: never
       * touched, shown in status), protect (a stop/target pair, never closed by the bots), adopt (managed and
       * flattened like the bots' own). Options, other currencies and other accounts are never touched.
       */
      foreignPolicy: z.enum(['ignore', 'protect', 'adopt']).default('ignore'),
    })
    .default({}),

  strategy: z
    .object({
      agentName: z.string().min(1).default('gap-momentum'),
      capitalAllocationPct: pct(100).default(25),
      takeProfitPct: pct(50).default(1.8),
      stopLossPct: pct(50).default(0.9),
      entryRsiMax: num().gt(0).lte(100).default(60),
      minAtrPct: num().min(0).max(50).default(0.3),
      gapAndGoMinPct: num().min(0).max(100).default(5),
      minScore: num().min(0).max(100).default(55),
      maxSpreadPct: num().gt(0).max(10).default(0.5),
      candidatesPerScan: int().min(1).max(50).default(20),
      entryCutoffMinutesBeforeClose: int().min(0).max(390).default(30),
      entryFillTimeoutSeconds: int().min(1).max(3_600).default(120),
      /** Entries are marketable limits this far through the ask, never naked market orders. */
      entryLimitSlippagePct: num().min(0).max(5).default(0.2),
    })
    .default({}),

  /**
   * Which strategies the day-trader runs (shared/strategy registry): built-in gap-momentum (its parameters are
   * the `strategy.*` keys above) and user strategies from the `strategies/` folder, each as its own agent_name,
   * sharing the risk limits and the one-position-per-symbol rule. Parameters per agent name, validated against
   * each strategy's own schema when the day-trader (or a backtest) loads them.
   */
  strategies: z
    .object({
      /** Entries: `name`, or `agent=name` for another instance under its own agent name. */
      enabled: z.array(z.string().min(1)).min(1).default(['gap-momentum']),
      /** { "<agent>": { "<param>": value } }; from the environment as JSON. */
      params: z.preprocess(
        (value) => (typeof value === 'string' ? parseJsonOr(value) : value),
        z.record(z.string(), z.record(z.string(), z.unknown())),
      ).default({}),
      /** Folder of user strategies (compiled .js); default: strategies/ of the build. */
      dir: z.string().min(1).optional(),
    })
    .default({}),

  risk: z
    .object({
      riskPerTradePct: pct(10).default(0.5),
      maxPositionPct: pct(100).default(10),
      maxGrossExposurePct: pct(400).default(80),
      dailyLossLimitPct: pct(100).default(2),
      maxOpenPositions: int().min(1).max(100).default(5),
    })
    .default({}),

  exits: z
    .object({
      /** How often the exit manager re-verifies protection against the broker (real ms). */
      checkIntervalMs: int().min(50).max(60_000).default(500),
      /** 0 disables the trailing stop. */
      trailingStopPct: num().min(0).max(50).default(0),
      /** 0 disables the time exit; otherwise a position older than this many market minutes is closed. */
      timeExitMinutes: int().min(0).max(1_440).default(0),
      eodFlattenMinutesBeforeClose: int().min(1).max(120).default(10),
      /**
       * Real ms after our last fill in a symbol before the broker's position report is believed (IB's position
       * updates trail the fills by up to seconds). Only then may a lower broker count shrink protection, or a
       * broker position nobody explains count as foreign.
       */
      brokerSettleMs: int().min(100).max(60_000).default(3_000),
      /** Refusals of one position's protective orders before the exit manager stops retrying and alerts. */
      maxRejections: int().min(1).max(100).default(6),
      /** Real seconds a position may hold shares without a working stop before a critical alert. */
      unprotectedAlertSeconds: int().min(1).max(3_600).default(10),
    })
    .default({}),

  intervals: z
    .object({
      /** Market seconds (scaled by sim.speed on the compressed clock). */
      positionResyncSeconds: int().min(1).default(100),
      scannerRefreshSeconds: int().min(1).default(900),
      reconcileSeconds: int().min(1).default(60),
      supervisorStatusSeconds: int().min(1).default(300),
      /** Portfolio snapshots during the regular session (the reconciler), market seconds; at most one per real second. */
      snapshotSeconds: int().min(1).default(60),
    })
    .default({}),

  snapshots: z
    .object({
      /** Trading days of intraday portfolio snapshots kept; older days keep only their last (closing) snapshot. */
      intradayRetentionDays: int().min(1).max(10_000).default(90),
    })
    .default({}),

  dashboard: z
    .object({
      /** Loopback by default; any other address needs `token` (the dashboard refuses to start without one). */
      host: z.string().min(1).default('127.0.0.1'),
      port: port().default(8501),
      /** Bearer token for every request (constant-time compare); required when host is not loopback. */
      token: z.string().min(16, 'at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
      /** How often the DB's change counter (PRAGMA data_version) is read while a browser listens, real ms. */
      pollMs: int().min(20).max(10_000).default(100),
      /** Query the gateway for prices, working orders and the account (own client id), like npm run status. */
      brokerLink: boolish.default(true),
      /** How often that broker view refreshes the account, positions and working orders, real ms. */
      brokerRefreshMs: int().min(500).max(600_000).default(2_000),
    })
    .default({}),

  process: z
    .object({
      heartbeatIntervalMs: int().min(100).max(10_000).default(1_000),
      /** The exit manager beats faster: its hang is the one that can leave a fresh fill unprotected. */
      exitManagerHeartbeatIntervalMs: int().min(50).max(10_000).default(250),
      /** Must be shorter than PM2's kill_timeout in ecosystem.config.js (6000 ms). */
      shutdownGraceMs: int().min(100).max(60_000).default(4_000),
      /**
       * Scheduling priority (nice) of the processes a fill's protection goes through (the day-trader books the
       * broker's report, the exit manager places the stop): below the others, so a busy dashboard, report or
       * backtest on the same cores never delays a stop. Lowering needs root or CAP_SYS_NICE; 0 leaves it.
       */
      exitPathNice: int().min(-20).max(19).default(-5),
    })
    .default({}),

  supervisor: z
    .object({
      healthCheckIntervalMs: int().min(100).max(60_000).default(1_000),
      heartbeatStaleMs: int().min(500).max(600_000).default(3_000),
      /** The exit manager is checked every 250 ms on its heartbeat alone and declared hung sooner. */
      exitManagerHeartbeatStaleMs: int().min(200).max(600_000).default(1_000),
      /** Real time allowed for a bot to boot before its missing heartbeat counts as a failure. */
      startupGraceMs: int().min(500).max(600_000).default(8_000),
      restartBackoffBaseMs: int().min(0).max(600_000).default(1_000),
      restartBackoffMaxMs: int().min(0).max(3_600_000).default(30_000),
      brokerDownAlertSeconds: int().min(1).default(30),
      /** Host checks (disk space of the DB's and the logs' filesystems, the log budget), real seconds. */
      hostCheckIntervalSeconds: int().min(1).max(86_400).default(60),
      /** Free space below this share (%) or below diskWarnFreeMb on either filesystem is a warning. */
      diskWarnFreePct: num().min(0).max(100).default(10),
      diskWarnFreeMb: num().min(0).default(1_024),
      /** The machine's clock against the gateway's (reqCurrentTime over a short link), real seconds; 0 = off. */
      clockCheckIntervalSeconds: int().min(0).max(86_400).default(600),
      clockDriftWarnMs: int().min(100).max(600_000).default(2_000),
    })
    .default({}),

  schedule: z
    .object({
      scanTimes: z.array(hhmm()).default(['09:35', '12:00']),
      reconcileAfterCloseMinutes: int().min(0).max(240).default(5),
      reportAfterCloseMinutes: int().min(0).max(240).default(10),
      /** The daily DB backup (the supervisor runs npm run db-backup's code in a child process). */
      backupAfterCloseMinutes: int().min(0).max(480).default(12),
    })
    .default({}),

  backup: z
    .object({
      /** Daily copies kept in BACKUP_DIR (the newest days). */
      keep: int().min(1).max(3_650).default(10),
    })
    .default({}),

  gateway: z
    .object({
      /**
       * IB Gateway / TWS restarts itself once a day (IBC AutoRestartTime): the time it starts, New York time,
       * or 'none' when it does not. A disconnect inside the window is expected, not a failure; a gateway still
       * down when the window is over is one (the supervisor's gateway_not_back, market hours or not).
       */
      restartTime: z.union([hhmm(), z.literal('none')]).default('23:45'),
      restartWindowMinutes: int().min(1).max(240).default(10),
    })
    .default({}),

  /** Alert channels, routing, grouping, quiet hours and thresholds (the notifier; shared/config/alerts-schema.ts). */
  alerts: alertsConfigSchema,
});

export type AppConfig = z.infer<typeof configSchema>;
/** Config with the mode-dependent defaults resolved. */
export type ResolvedConfig = AppConfig & { ib: AppConfig['ib'] & { port: number } };

export const PAPER_PORTS = [7497, 4002] as const;
export const LIVE_PORTS = [7496, 4001] as const;
export const SIM_DEFAULT_PORT = 4300;

export function defaultPortFor(mode: Mode): number {
  if (mode === 'LIVE') return 4001;
  if (mode === 'PAPER') return 4002;
  return SIM_DEFAULT_PORT;
}
