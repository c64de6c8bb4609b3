/**
 * Preloaded with `--require` (NODE_OPTIONS does not allow --cpu-prof): profiles the whole process with the
 * in-process inspector and writes a .cpuprofile into BENCH_CPU_PROFILE_DIR when the process exits (a
 * SIGKILLed process writes none). Open the file in Chrome DevTools or summarise it with a script.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  session.post('Profiler.start');
  // In-process inspector calls answer synchronously, so this works inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      const name = `${path.basename(process.argv[1] ?? 'node', '.js')}-${process.pid}.cpuprofile`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, name), JSON.stringify(result.profile));
    });
  });
}
