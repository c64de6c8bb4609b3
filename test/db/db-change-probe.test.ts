import path from 'node:path';
import { DbChangeProbe, openDatabase } from '../../shared/db';
import { makeTempDir } from '../helpers/temp-dir';

/** The exit manager's "did another process commit?" look, on two real connections to one WAL file. */
describe('DbChangeProbe', () => {
  const temp = makeTempDir('probe');
  afterAll(() => temp.cleanup());

  it('sees every commit of another connection once, and none of its own or of a rolled-back write', () => {
    const file = path.join(temp.dir, 'probe.db');
    const watcher = openDatabase(file);
    const writer = openDatabase(file);
    const probe = new DbChangeProbe(watcher);
    expect(probe.changedSinceLastLook()).toBe(false);
    writer.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-12-07T15:00:00Z', 'test', 'x', 'info', '{}')").run();
    expect(probe.changedSinceLastLook()).toBe(true);
    expect(probe.changedSinceLastLook()).toBe(false);
    watcher.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-12-07T15:00:01Z', 'test', 'y', 'info', '{}')").run();
    expect(probe.changedSinceLastLook()).toBe(false);
    expect(() => writer.transaction(() => {
      writer.prepare("INSERT INTO events (at, app, event, level, data) VALUES ('2026-12-07T15:00:02Z', 'test', 'z', 'info', '{}')").run();
      throw new Error('rolled back');
    })()).toThrow('rolled back');
    expect(probe.changedSinceLastLook()).toBe(false);
    writer.close();
    watcher.close();
  });
});
