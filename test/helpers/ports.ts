export { freePort } from '../../scripts/harness/ports';
