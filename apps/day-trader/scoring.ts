/** The scoring rules live in shared/strategy (the backtest runs the same code); this path stays for importers. */
export { scoreCandidate, type ScoreDecision, type CandidateMetrics } from '../../shared/strategy/scoring';
