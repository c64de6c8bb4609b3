/** The exit rules live in shared/strategy (the backtest runs the same code); this path stays for importers. */
export { timeBasedExit, trailingLevel, trailingTriggered, type ExitDecision } from '../../shared/strategy/exit-rules';
