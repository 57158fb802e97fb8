import { Hono } from "hono";
import { authenticate } from "../../accounts/account.service.ts";
import { changeOwnPasswordThen } from "../../accounts/password-change.ts";
import { clientAddress, rateLimitKey } from "../client-address.ts";
import type { HttpDeps } from "../deps.ts";
import { clearSessionCookie, sessionCookie, writeSessionCookie } from "../session/cookie.ts";
import { csrfMatches, requireSession, type SessionEnv, safeNext } from "../session/middleware.ts";
import { createSession, endAllSessions, endSession, sweepSessions } from "../session/store.ts";
import {
  accountKey,
  addressKey,
  clearSignInFailures,
  recordSignInFailure,
  signInBlocked,
  sweepSignInFailures,
} from "../session/throttle.ts";
import { Layout } from "./layout.tsx";
import { CsrfField } from "./session-nav.tsx";
import { MessagePage } from "./session-ui.tsx";

function LoginForm(props: { next: string; username?: string; error?: string }) {
  return (
    <Layout title="Sign in — Haven">
      <h1>Sign in</h1>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/login">
        <input type="hidden" name="next" value={props.next} />
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          autocapitalize="none"
          required
          value={props.username ?? ""}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <p>
          <button type="submit">Sign in</button>
        </p>
      </form>
    </Layout>
  );
}

function PasswordForm(props: { error?: string; done?: boolean }) {
  return (
    <Layout title="Change password — Haven">
      <h1>Change password</h1>
      {props.done ? (
        <p class="notice" role="status">
          Your password was changed. Every other browser and app signed in as you has been signed
          out.
        </p>
      ) : null}
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/account/password">
        <CsrfField />
        <label for="current_password">Current password</label>
        <input
          id="current_password"
          name="current_password"
          type="password"
          autocomplete="current-password"
          required
        />
        <label for="new_password">New password</label>
        <input
          id="new_password"
          name="new_password"
          type="password"
          autocomplete="new-password"
          minlength={10}
          required
        />
        <p>
          <button type="submit">Change password</button>
        </p>
      </form>
    </Layout>
  );
}

/** The refusal of a form without this session's CSRF token. */
export const csrfRefused = () => (
  <MessagePage title="Refused">
    <p>
      This form is out of date or came from another site, so Haven did not act on it. Go back,
      reload the page and try again.
    </p>
  </MessagePage>
);

const field = (form: Record<string, unknown>, name: string) => {
  const v = form[name];
  return typeof v === "string" ? v : "";
};

/** `/login`, sign out and the change-password page. */
export function loginRoutes(deps: HttpDeps): Hono<SessionEnv> {
  const db = deps.database.db;
  const cookie = sessionCookie(deps);
  const app = new Hono<SessionEnv>();

  app.get("/login", (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("session")) return c.redirect(next, 303);
    return c.html(<LoginForm next={next} />);
  });

  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const username = field(form, "username").trim();
    const password = field(form, "password");
    const next = safeNext(field(form, "next"));
    const keys = [
      accountKey(username),
      addressKey(rateLimitKey(clientAddress(c, deps.config.trustProxy))),
    ];
    const wait = await signInBlocked(db, keys);
    if (wait !== null) {
      c.header("Retry-After", String(wait));
      const minutes = Math.ceil(wait / 60);
      return c.html(
        <MessagePage title="Too many sign-in attempts">
          <p role="alert">
            Too many failed sign-ins for this account or from this network. Wait{" "}
            {minutes === 1 ? "a minute" : `${minutes} minutes`} and try again.
          </p>
          <p>
            <a href={`/login?next=${encodeURIComponent(next)}`}>Back to sign in</a>
          </p>
        </MessagePage>,
        429,
      );
    }
    const account = username && password ? await authenticate(db, username, password) : null;
    if (!account) {
      await recordSignInFailure(db, keys);
      return c.html(
        <LoginForm next={next} username={username} error="Wrong username or password." />,
        401,
      );
    }
    await clearSignInFailures(db, keys[0]!);
    // Rows nobody can use any more go now and then; sign-ins are rare enough.
    await Promise.all([sweepSessions(db), sweepSignInFailures(db)]);
    // A fresh session id at every sign-in: one planted before it is worth nothing.
    const { secret } = await createSession(db, account.id, c.req.header("user-agent") ?? "");
    await writeSessionCookie(c, cookie, secret);
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    const session = c.get("session");
    if (session) {
      if (!csrfMatches(session, await c.req.parseBody())) return c.html(csrfRefused(), 403);
      await endSession(db, session.idHash);
    }
    clearSessionCookie(c, cookie);
    return c.redirect("/", 303);
  });

  app.get("/account/password", requireSession, (c) =>
    c.html(<PasswordForm done={c.req.query("changed") === "1"} />),
  );

  app.post("/account/password", requireSession, async (c) => {
    const session = c.get("session")!;
    const form = await c.req.parseBody();
    if (!csrfMatches(session, form)) return c.html(csrfRefused(), 403);
    const result = await changeOwnPasswordThen(
      db,
      session.account,
      {
        currentPassword: field(form, "current_password"),
        newPassword: field(form, "new_password"),
      },
      async (tx, updated) => {
        // Every session ends (a thief's too); this browser gets a new one.
        await endAllSessions(tx, updated.id);
        return createSession(tx, updated.id, c.req.header("user-agent") ?? "");
      },
    );
    if (!result.ok) {
      const message =
        result.error.kind === "unauthorized"
          ? "The current password is not right."
          : result.error.message.replace("new_password", "The new password");
      return c.html(<PasswordForm error={message} />, 422);
    }
    await writeSessionCookie(c, cookie, result.value.secret);
    // A redirect, so the page is drawn with the new session's CSRF token.
    return c.redirect("/account/password?changed=1", 303);
  });
  return app;
}
