/** The entry guards live in shared/strategy (the backtest runs the same code); this path stays for importers. */
export { entryBlockers, type GuardInput } from '../../shared/strategy/entry-guards';
