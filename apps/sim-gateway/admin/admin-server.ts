import { monitorEventLoopDelay } from 'node:perf_hooks';
import http from 'node:http';
import type { Logger } from '../../../shared/log/logger';
import type { SimGateway } from '../gateway';
import { ambiguousSymbolSet } from '../realism/ambiguous-symbols';
import { applyRealismPatch } from '../realism/realism-settings';
import { IB_ERRORS } from '../engine/order-errors';

type Handler = (body: Record<string, unknown>, query: URLSearchParams) => Promise<unknown> | unknown;

class BadRequest extends Error {}

function numberField(body: Record<string, unknown>, name: string, fallback?: number): number {
  const value = body[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequest(`"${name}" must be a number`);
  return value;
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw new BadRequest(`"${name}" must be a non-empty string`);
  return value;
}

function boolField(body: Record<string, unknown>, name: string, fallback = true): boolean {
  const value = body[name] ?? fallback;
  if (typeof value !== 'boolean') throw new BadRequest(`"${name}" must be true or false`);
  return value;
}

/**
 * Fault control on a loopback-only HTTP endpoint (JSON in, JSON out). This is the test bed's control
 * plane: it keeps answering while the TWS port is silent, restarting or refusing connections.
 */
export function createAdminServer(gateway: SimGateway, log: Logger): http.Server {
  let silenceTimer: NodeJS.Timeout | undefined;
  // The simulator's own responsiveness: a late fill report or order stamp is the simulator's, not the bots'.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const routes: Record<string, Handler> = {
    'GET /health': () => ({
      ok: true, port: gateway.port, accountId: gateway.accountId, clients: [...gateway.sessions()].filter((s) => s.clientId !== undefined).map((s) => s.clientId),
      loopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), samples: loopDelay.count },
    }),
    // ?refPrefix=P-2026 limits orders and executions to those refs (cheap polling for benchmarks and tests).
    'GET /state': (_body, query) => gateway.dumpState(query.get('refPrefix') ?? undefined),
    // ambiguousSymbols: the symbols refused on SMART without primaryExch/conId (error 200) while the switch is on.
    // Intervals during which API sell orders could trade more than the account may sell (must stay empty).
    'GET /exposure': () => ({ exposure: gateway.exposure.report() }),
    'GET /realism': () => ({ realism: gateway.realism, ambiguousSymbols: gateway.realism.ambiguousSymbols ? [...ambiguousSymbolSet(gateway.model)] : [] }),
    // Partial update of the realism switches, e.g. {"marketData": "none"} or {"positionLag": {"minMs": 0, "maxMs": 0}}.
    'POST /realism': (body) => {
      try {
        gateway.realism = applyRealismPatch(gateway.realism, body);
      } catch (error) {
        throw new BadRequest((error as Error).message);
      }
      return { realism: gateway.realism };
    },
    // Every symbol the simulator trades (benchmarks that need more than a scanner's 50 rows).
    'GET /universe': () => ({ symbols: gateway.model.universe.map((i) => i.symbol) }),
    'GET /clock': () => ({ marketTimeMs: gateway.clock.now(), marketTime: new Date(gateway.clock.now()).toISOString(), clock: gateway.clock.description }),
    'POST /faults/drop-connections': () => ({ dropped: gateway.dropConnections('admin request') }),
    'POST /faults/silence': (body) => {
      const on = boolField(body, 'on');
      if (silenceTimer) clearTimeout(silenceTimer);
      gateway.setSilent(on);
      if (on && body.seconds !== undefined) silenceTimer = setTimeout(() => gateway.setSilent(false), numberField(body, 'seconds') * 1000);
      return { silent: on };
    },
    'POST /faults/restart': async (body) => {
      await gateway.restart(numberField(body, 'downMs', 1_000));
      return { restarted: true };
    },
    'POST /faults/pause-market-data': (body) => {
      gateway.feed.paused = boolField(body, 'on');
      return { paused: gateway.feed.paused };
    },
    'POST /faults/reject-next': (body) => {
      gateway.engine.rejectNextOrders = Math.max(0, Math.floor(numberField(body, 'count', 1)));
      return { rejectNext: gateway.engine.rejectNextOrders };
    },
    // The next N modifications are refused (default 201, order precautions); the orders keep working unchanged.
    'POST /faults/reject-next-modify': (body) => {
      const count = Math.max(0, Math.floor(numberField(body, 'count', 1)));
      const code = Math.floor(numberField(body, 'code', 201));
      const message = typeof body.message === 'string' ? body.message : 'Order rejected - reason: The order was rejected by order precautions (simulated)';
      for (let i = 0; i < count; i++) gateway.engine.rejectNextModifies.push({ code, message });
      return { rejectNextModifies: gateway.engine.rejectNextModifies.length };
    },
    'POST /faults/jump': (body) => {
      const symbol = stringField(body, 'symbol').toUpperCase();
      if (!gateway.info(symbol)) throw new BadRequest(`unknown symbol ${symbol}`);
      const realMs = Date.now();
      return { snapshot: gateway.jump(symbol, numberField(body, 'pct')), realMs };
    },
    'POST /quirks/ids-backwards': (body) => ({ idsBackwardsOnRestart: (gateway.faults.idsBackwardsOnRestart = boolField(body, 'on')) }),
    'POST /quirks/replay-executions': (body) => ({ replayExecutionsOnRestart: (gateway.faults.replayExecutionsOnRestart = boolField(body, 'on')) }),
    'POST /quirks/connectivity': (body) => {
      const code = numberField(body, 'code');
      const messages: Record<number, string> = {
        1100: 'Connectivity between IB and Trader Workstation has been lost.',
        1101: 'Connectivity between IB and Trader Workstation has been restored - data lost.',
        1102: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
        2103: 'Market data farm connection is broken:usfarm',
        2104: 'Market data farm connection is OK:usfarm',
        2105: 'HMDS data farm connection is broken:ushmds',
      };
      if (!messages[code]) throw new BadRequest(`code must be one of ${Object.keys(messages).join(', ')}`);
      gateway.broadcastNotice(code, messages[code]!);
      return { sent: code };
    },
    // The next N new orders get the informational 10349 (TIF from the order preset) before their acknowledgement.
    // {code, message} send another informational code instead (one the client may not know yet).
    'POST /quirks/preset-warnings': (body) => {
      gateway.faults.presetWarning = {
        code: Math.floor(numberField(body, 'code', IB_ERRORS.TIF_FROM_PRESET.code)),
        message: typeof body.message === 'string' ? body.message : IB_ERRORS.TIF_FROM_PRESET.message,
      };
      return { presetWarnings: (gateway.faults.presetWarnings = Math.max(0, Math.floor(numberField(body, 'count', 1)))), warning: gateway.faults.presetWarning };
    },
    'POST /quirks/pacing': (body) => ({ historicalPacingViolations: (gateway.faults.historicalPacingViolations = Math.floor(numberField(body, 'historical', 1))) }),
    'POST /quirks/positions-timeout': (body) => ({ positionsTimeouts: (gateway.faults.positionsTimeouts = Math.floor(numberField(body, 'count', 1))) }),
    'POST /quirks/open-orders-timeout': (body) => ({ openOrdersTimeouts: (gateway.faults.openOrdersTimeouts = Math.floor(numberField(body, 'count', 1))) }),
    // How late the answers armed by the two timeout quirks come (after the client's timeout: a late end marker).
    'POST /quirks/late-answer-ms': (body) => {
      const ms = numberField(body, 'ms');
      if (ms < 0) throw new BadRequest('"ms" must be 0 or more');
      return { lateAnswerMs: (gateway.faults.lateAnswerMs = Math.floor(ms)) };
    },
    'POST /quirks/manual-trade': (body) => {
      const symbol = stringField(body, 'symbol').toUpperCase();
      if (!gateway.info(symbol)) throw new BadRequest(`unknown symbol ${symbol}`);
      const quantity = Math.trunc(numberField(body, 'quantity'));
      if (quantity === 0) throw new BadRequest('"quantity" must not be 0');
      return { execution: gateway.manualTrade(symbol, quantity, body.price === undefined ? undefined : numberField(body, 'price')) };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      const handler = routes[key];
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!handler) return reply(404, { error: `no route ${key}`, routes: Object.keys(routes) });
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body must be a JSON object');
        const result = await handler(body, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
        if (key.startsWith('POST')) log.warn('admin_action', { route: key, body });
        reply(200, { ok: true, ...(result as object) });
      } catch (error) {
        reply(error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500, { error: (error as Error).message });
      }
    });
  });
  server.on('close', () => loopDelay.disable());
  return server;
}
