/**
 * bench:db's stand-in for the supervisor: the system's one WAL checkpointer on its own connection, in its own
 * process, as in the deployed system (the bots' connections defer their checkpoints to it).
 */
import { WalCheckpointer, openDatabase } from '../../shared/db';

const [dbPath] = process.argv.slice(2);
const db = openDatabase(dbPath!);
const checkpointer = new WalCheckpointer(db, dbPath!, { onError: (error) => process.stderr.write(`checkpoint failed: ${error.message}\n`) });
checkpointer.start();
process.on('message', () => {
  checkpointer.stop();
  const completed = checkpointer.completed;
  db.close();
  process.send!({ checkpoints: completed }, () => process.exit(0));
});
process.send!('ready');
