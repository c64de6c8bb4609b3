/** The sizing rules live in shared/strategy (the backtest runs the same code); this path stays for importers. */
export { sizePosition, roundCent, protectionLevels, type SizingInput, type SizingResult } from '../../shared/strategy/sizing';
