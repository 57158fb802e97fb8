import {
  changePassword,
  createAccount,
  findAccountByUsername,
} from "../accounts/account.service.ts";
import { generatePassword } from "../accounts/password.ts";
import { CLI_TOKEN_TTL_SECONDS, issueToken } from "../accounts/token.service.ts";
import { createChannel, findChannel } from "../channels/channel.service.ts";
import { addChannelMember, removeChannelMember } from "../channels/channel-members.service.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { deriveKey, loadSecret } from "../secret.ts";
import { flagString, type ParsedArgs, readStdin, UsageError } from "./args.ts";

export interface CliIo {
  out(line: string): void;
  /** Advice for the operator (stderr), kept out of output that scripts capture. */
  note?(line: string): void;
}

export const USAGE = `Usage: haven <command>

  serve [--role web|worker|all]      run the server (default role: HAVEN_ROLE or all)
  migrate                            apply database migrations
  user create NAME [--admin] [--password-stdin]
                                     create a member (prints a generated password)
  user password NAME [--password-stdin]
                                     set a new password (prints a generated one);
                                     revokes the member's earlier tokens
  token create NAME                  print a bearer token for member NAME
  channel create NAME --owner USER [--display-name TEXT] [--summary TEXT]
                                     create a channel owned by USER
  channel member add|remove CHANNEL USER
                                     let USER publish to and manage CHANNEL (or stop)
  domain-block add DOMAIN [--severity suspend|silence|noop] [--reject-media]
                   [--reject-reports] [--private-comment TEXT] [--public-comment TEXT]
                   [--obfuscate] [--as ADMIN]
  domain-block remove DOMAIN [--exclude] [--as ADMIN]
  domain-block list
  domain-block import FILE|- [--mode merge|replace] [--apply] [--confirm DOMAIN]…
                   [--as ADMIN]      preview a blocklist; --apply (or --yes) applies it;
                                     entries blocking a TLD or public suffix (co.uk)
                                     apply only when each is named with --confirm
  domain-block export                print the blocks as Mastodon's CSV
  settings get [KEY]                 print the safety settings (README "Safety")
  settings set KEY VALUE|--file FILE [--as ADMIN]
                                     KEY: crisis_resources, hide_counts, report_webhook_url,
                                     report_webhook_secret, default_comments_policy;
                                     VALUE is JSON or plain text; null resets to the default
  watched-word add WORD… [--as ADMIN]
                                     hold replies containing this word or phrase
  watched-word remove ID|WORD… [--as ADMIN]
  watched-word list
`;

/** `haven user create|password …` */
export async function userCommand(database: Database, args: ParsedArgs, io: CliIo) {
  const sub = args.positional[1];
  if (sub === "create") return userCreate(database, args, io);
  if (sub === "password") return userPassword(database, args, io);
  throw new UsageError(`unknown command: ${args.positional.join(" ")}`);
}

/** `haven channel create|member …` */
export async function channelCommand(database: Database, args: ParsedArgs, io: CliIo) {
  const sub = args.positional[1];
  if (sub === "create") return channelCreate(database, args, io);
  if (sub === "member") return channelMember(database, args, io);
  throw new UsageError(`unknown command: ${args.positional.join(" ")}`);
}

async function readPasswordFromStdin(): Promise<string> {
  return (await readStdin()).replace(/\r?\n$/, "");
}

export async function userCreate(database: Database, args: ParsedArgs, io: CliIo): Promise<number> {
  const name = args.positional[2];
  if (!name) throw new UsageError("user create needs a NAME");
  const password = args.flags.has("password-stdin") ? await readPasswordFromStdin() : undefined;
  const result = await createAccount(database.db, {
    username: name,
    password,
    isAdmin: args.flags.has("admin"),
  });
  if (!result.ok) {
    io.out(`error: ${result.error.message}`);
    return 1;
  }
  io.out(
    `created ${result.value.account.isAdmin ? "admin " : ""}user ${result.value.account.username}`,
  );
  if (result.value.generatedPassword) io.out(`password: ${result.value.generatedPassword}`);
  return 0;
}

export async function tokenCreate(
  config: Config,
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const name = args.positional[2];
  if (!name) throw new UsageError("token create needs a NAME");
  const account = await findAccountByUsername(database.db, name);
  if (!account) {
    io.out(`error: no user named "${name}"`);
    return 1;
  }
  const key = await deriveKey(loadSecret(config), "api-token");
  const token = await issueToken(database.db, { key, issuer: config.publicUrl.origin }, account, {
    name: "cli",
    ttlSeconds: CLI_TOKEN_TTL_SECONDS,
  });
  io.out(token.accessToken);
  // A server refuses tokens made for another PUBLIC_URL (e.g. the default,
  // when the variable was not set yet here): say which one this is for.
  const unset = /^(localhost|127\.|\[::1\])/.test(config.publicUrl.host)
    ? "; set PUBLIC_URL first if the server has a public address"
    : "";
  io.note?.(`This token works with the server at ${config.publicUrl.origin} (PUBLIC_URL)${unset}.`);
  return 0;
}

export async function channelCreate(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const name = args.positional[2];
  const ownerName = flagString(args, "owner");
  if (!name || !ownerName) throw new UsageError("channel create needs NAME and --owner USER");
  const owner = await findAccountByUsername(database.db, ownerName);
  if (!owner) {
    io.out(`error: no user named "${ownerName}"`);
    return 1;
  }
  const result = await createChannel(database.db, {
    name,
    ownerAccountId: owner.id,
    displayName: flagString(args, "display-name"),
    summary: flagString(args, "summary"),
  });
  if (!result.ok) {
    io.out(`error: ${result.error.message}`);
    return 1;
  }
  io.out(`created channel ${result.value.handle} (owner ${owner.username})`);
  return 0;
}

/**
 * For an admin who locked themselves out (or a member who forgot): sets the
 * password straight in the database; every token issued before stops working.
 */
export async function userPassword(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const name = args.positional[2];
  if (!name) throw new UsageError("user password needs a NAME");
  const account = await findAccountByUsername(database.db, name);
  if (!account) {
    io.out(`error: no user named "${name}"`);
    return 1;
  }
  const given = args.flags.has("password-stdin") ? await readPasswordFromStdin() : null;
  const password = given ?? generatePassword();
  const result = await changePassword(database.db, account.id, password);
  if (!result.ok) {
    io.out(`error: ${result.error.message}`);
    return 1;
  }
  io.out(`changed the password of ${account.username}; earlier tokens no longer work`);
  if (given === null) io.out(`password: ${password}`);
  return 0;
}

export async function channelMember(
  database: Database,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const [, , action, channelName, userName] = args.positional;
  if ((action !== "add" && action !== "remove") || !channelName || !userName) {
    throw new UsageError("channel member needs add|remove CHANNEL USER");
  }
  const channel = await findChannel(database.db, channelName);
  if (!channel) {
    io.out(`error: no channel named "${channelName}"`);
    return 1;
  }
  const result =
    action === "add"
      ? await addChannelMember(database.db, channel, userName)
      : await removeChannelMember(database.db, channel, userName);
  if (!result.ok) {
    io.out(`error: ${result.error.message}`);
    return 1;
  }
  io.out(
    action === "add"
      ? `${userName} is now a member of ${channel.handle}`
      : `${userName} is no longer a member of ${channel.handle}`,
  );
  return 0;
}
