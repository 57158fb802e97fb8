import { currentSession } from "../session/middleware.ts";

/** The hidden field every state-changing form of a signed-in page carries. */
export function CsrfField() {
  const session = currentSession();
  return session ? <input type="hidden" name="_csrf" value={session.csrfToken} /> : null;
}

/** The header's account links: "Sign in", or the account's pages and "Sign out". */
export function SessionNav() {
  const session = currentSession();
  if (!session) {
    return (
      <nav aria-label="Account">
        <a href="/login">Sign in</a>
      </nav>
    );
  }
  return (
    <nav aria-label="Account" class="account">
      <span>{session.account.username}</span>
      <a href="/moderation">Moderation</a>
      {session.account.isAdmin ? <a href="/admin">Admin</a> : null}
      <a href="/account/password">Password</a>
      <form method="post" action="/logout">
        <CsrfField />
        <button type="submit">Sign out</button>
      </form>
    </nav>
  );
}
