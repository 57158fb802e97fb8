import type { Child } from "hono/jsx";
import { ACCOUNT_STYLE } from "./account-style.ts";
import { SessionNav } from "./session-nav.tsx";

/** Served as /static/haven.css (a stylesheet, so the CSP needs no inline style block). */
export const STYLE = `
body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1d1d28;background:#faf8f5;line-height:1.5}
header{display:flex;justify-content:space-between;align-items:center}
header a{color:inherit;text-decoration:none;font-weight:700}
header a.help{color:#fff;background:#8a2d4b;padding:.3rem .7rem;border-radius:.4rem}
a:focus-visible{outline:3px solid #1d5fd1;outline-offset:2px}
.crisis{border-left:4px solid #8a2d4b}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0;box-shadow:0 1px 3px #0001}
.avatar{width:72px;height:72px;border-radius:50%;object-fit:cover;background:#ddd;float:right}
code.handle{background:#eef;padding:.2rem .4rem;border-radius:.3rem;user-select:all}
footer{color:#666;font-size:.85rem;margin-top:2rem}
*,*::before,*::after{box-sizing:border-box}
img,video{max-width:100%}
header{flex-wrap:wrap;gap:.5rem}
main{overflow-wrap:break-word}
code{overflow-wrap:anywhere}
.player{display:block;margin:0 auto;background:#000}
.cues{list-style:none;padding:0;margin:0}
.cues li{margin:.3rem 0}
.cue-time{font-variant-numeric:tabular-nums;color:#555;margin-right:.4rem}
.follow-form label{font-weight:600;display:block}
.hint{margin:.2rem 0 .4rem;color:#555;font-size:.9rem}
.error{color:#a4001d;font-weight:600}
.follow-form .row{display:flex;flex-wrap:wrap;gap:.5rem}
.follow-form input{flex:1 1 12rem;min-width:0;font:inherit;padding:.5rem;border:1px solid #767676;border-radius:.4rem}
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#1d5fd1;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid #1d5fd1;outline-offset:2px}
${ACCOUNT_STYLE}`;

export function Layout(props: {
  title: string;
  description?: string;
  head?: Child;
  children?: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        {props.description ? <meta name="description" content={props.description} /> : null}
        {props.head}
        <link rel="stylesheet" href="/static/haven.css" />
      </head>
      <body>
        {/* Help is one click away on every page: a plain link, reachable by keyboard. */}
        <header>
          <a href="/">Haven</a>
          <a class="help" href="/help">
            Need help now?
          </a>
          <SessionNav />
        </header>
        <main>{props.children}</main>
        <footer>
          If you are in crisis, please contact local emergency services or a crisis line. Haven
          videos are peer and clinical support, not a substitute for care.
        </footer>
      </body>
    </html>
  );
}
