import {
  addWatchedWord,
  listWatchedWords,
  removeWatchedWord,
} from "../comments/watched-word.service.ts";
import type { Database } from "../db/client.ts";
import { type ParsedArgs, UsageError } from "./args.ts";
import type { CliIo } from "./commands.ts";
import { actorFor } from "./domain-block.ts";

/**
 * `haven watched-word add|remove|list`: the admin API's service, so the
 * same normalisation and audit log. A phrase is the rest of the arguments
 * (`haven watched-word add end it all`). `remove` takes the id or the word.
 */
export async function watchedWordCommand(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const db = database.db;
  const sub = args.positional[1];
  const word = args.positional.slice(2).join(" ");
  const actor = await actorFor(database, args);
  if (!actor.ok) {
    io.out(`error: ${actor.error}`);
    return 1;
  }
  switch (sub) {
    case "add": {
      if (!word) throw new UsageError("watched-word add needs a WORD or phrase");
      const result = await addWatchedWord(db, word, actor.value);
      if (!result.ok) {
        io.out(`error: ${result.error.message}`);
        return 1;
      }
      io.out(`${result.value.id}\t${result.value.word}`);
      return 0;
    }
    case "remove": {
      if (!word) throw new UsageError("watched-word remove needs an ID or the WORD");
      const removed = await removeWatchedWord(db, word, actor.value);
      if (!removed) {
        io.out(`error: no watched word "${word}"`);
        return 1;
      }
      io.out(`removed ${removed.word}`);
      return 0;
    }
    case "list": {
      const rows = await listWatchedWords(db);
      if (rows.length === 0) io.out("no watched words");
      for (const r of rows) io.out(`${r.id}\t${r.word}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${args.positional.join(" ")}`);
  }
}
