export { loadConfig, type LoadConfigOptions } from './load-config';
export { accountProblemForMode, modeSafetyProblems } from './safety';
export { configSchema, defaultPortFor, type AppConfig, type Mode, type ResolvedConfig, SIM_DEFAULT_PORT } from './schema';
export { ENV_VARIABLES } from './env-variables';
export { projectRoot, resolveFromRoot } from './project-root';
