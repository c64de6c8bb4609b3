import { mulberry32 } from '../random/mulberry32';
import type { Strategy } from '../strategy/types';

// Re-exported so callers that took the PRNG from here keep working.
export { mulberry32 };

/**
 * The parameters an optimisation sweeps, written `--param name=spec`:
 *   name      a parameter of the first strategy (minScore), of a named agent (orb.rangeMinutes), or a
 *             configuration value (risk.maxOpenPositions, exits.timeExitMinutes);
 *   spec      `a:b:step` (from a to b by step, both ends included), `a,b,c` (a list), or `a:b` (random search
 *             only: uniform between a and b; whole numbers when both ends are whole).
 */
export interface ParameterAxis {
  /** As given on the command line. */
  name: string;
  target: { kind: 'strategy'; agent: string; param: string } | { kind: 'config'; path: string };
  /** Discrete values (grid), or undefined for a continuous range (random search). */
  values?: readonly number[];
  range?: { min: number; max: number; integer: boolean };
}

const CONFIG_SECTIONS = ['strategy', 'risk', 'exits', 'schedule', 'intervals'];

export function parseAxis(raw: string, strategies: readonly Strategy[]): ParameterAxis {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new RangeError(`--param expects name=from:to:step or name=v1,v2,...; got ${JSON.stringify(raw)}`);
  const name = raw.slice(0, eq).trim();
  const spec = raw.slice(eq + 1).trim();
  const dot = name.indexOf('.');
  let target: ParameterAxis['target'];
  if (dot > 0 && CONFIG_SECTIONS.includes(name.slice(0, dot))) target = { kind: 'config', path: name };
  else if (dot > 0) {
    const agent = name.slice(0, dot);
    if (!strategies.some((s) => s.name === agent)) throw new RangeError(`--param ${name}: no strategy runs as "${agent}" (agents: ${strategies.map((s) => s.name).join(', ')})`);
    target = { kind: 'strategy', agent, param: name.slice(dot + 1) };
  } else {
    const first = strategies[0];
    if (!first) throw new RangeError('no strategy to optimise');
    target = { kind: 'strategy', agent: first.name, param: name };
  }
  if (target.kind === 'strategy') {
    const strategy = strategies.find((s) => s.name === (target as { agent: string }).agent)!;
    const current = strategy.params[target.param];
    if (current === undefined) throw new RangeError(`--param ${name}: strategy ${strategy.type} (agent ${strategy.name}) has no parameter "${target.param}" (it has ${Object.keys(strategy.params).join(', ')})`);
    if (typeof current !== 'number') throw new RangeError(`--param ${name}: "${target.param}" is not a number (it is ${JSON.stringify(current)})`);
  }
  const numbers = (text: string) => text.split(/[,:]/).map((p) => {
    const n = Number(p);
    if (p.trim() === '' || !Number.isFinite(n)) throw new RangeError(`--param ${name}: "${p}" is not a number`);
    return n;
  });
  if (spec.includes(',')) return { name, target, values: [...new Set(numbers(spec))] };
  const parts = numbers(spec);
  if (parts.length === 3) {
    const [from, to, step] = parts as [number, number, number];
    if (!(step > 0) || to < from) throw new RangeError(`--param ${name}=${spec}: need from <= to and a positive step`);
    const values: number[] = [];
    const count = Math.floor((to - from) / step + 1e-9);
    if (count > 10_000) throw new RangeError(`--param ${name}=${spec} has ${count + 1} values: too many`);
    for (let i = 0; i <= count; i++) values.push(Math.round((from + i * step) * 1e9) / 1e9);
    return { name, target, values };
  }
  if (parts.length === 2) {
    const [min, max] = parts as [number, number];
    if (max < min) throw new RangeError(`--param ${name}=${spec}: from must not exceed to`);
    return { name, target, range: { min, max, integer: Number.isInteger(min) && Number.isInteger(max) } };
  }
  if (parts.length === 1) return { name, target, values: parts };
  throw new RangeError(`--param ${name}=${spec}: expected from:to:step, from:to (random search) or v1,v2,...`);
}

/** One point of the search: a value per axis. */
export type ParameterPoint = Record<string, number>;

/** Every combination of the axes' values (the first axis varies slowest). */
export function gridPoints(axes: readonly ParameterAxis[]): ParameterPoint[] {
  for (const axis of axes) {
    if (!axis.values) throw new RangeError(`--param ${axis.name}: a grid needs from:to:step or a list (from:to is for --random)`);
  }
  let points: ParameterPoint[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values!.map((v) => ({ ...p, [axis.name]: v })));
  return points;
}

/** `count` points drawn uniformly (seeded: the same seed, the same points), without repeating a point. */
export function randomPoints(axes: readonly ParameterAxis[], count: number, seed: number): ParameterPoint[] {
  const random = mulberry32(seed);
  const seen = new Set<string>();
  const points: ParameterPoint[] = [];
  const space = axes.reduce((n, a) => n * (a.values ? a.values.length : Infinity), 1);
  const wanted = Math.min(count, space);
  for (let attempts = 0; points.length < wanted && attempts < wanted * 100; attempts++) {
    const point: ParameterPoint = {};
    for (const axis of axes) {
      if (axis.values) point[axis.name] = axis.values[Math.floor(random() * axis.values.length)]!;
      else {
        const { min, max, integer } = axis.range!;
        point[axis.name] = integer ? min + Math.floor(random() * (max - min + 1)) : Math.round((min + random() * (max - min)) * 1e6) / 1e6;
      }
    }
    const key = JSON.stringify(point);
    if (seen.has(key)) continue;
    seen.add(key);
    points.push(point);
  }
  return points;
}

/** A point as strategy parameter overrides (by agent) and configuration overrides (by dotted path). */
export function pointOverrides(point: ParameterPoint, axes: readonly ParameterAxis[]): { params: Record<string, Record<string, unknown>>; config: Record<string, unknown> } {
  const params: Record<string, Record<string, unknown>> = {};
  const config: Record<string, unknown> = {};
  for (const axis of axes) {
    const value = point[axis.name];
    if (value === undefined) continue;
    if (axis.target.kind === 'config') config[axis.target.path] = value;
    else (params[axis.target.agent] ??= {})[axis.target.param] = value;
  }
  return { params, config };
}
