/**
 * Styles of the signed-in pages (forms, queues, the header's account links).
 * Focus is always visible (WCAG 2.4.7); colours keep a 4.5:1 contrast.
 */
export const ACCOUNT_STYLE = `
header{flex-wrap:wrap;gap:.5rem}
nav.account{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center}
nav a{color:#1d1d28;text-decoration:underline}
nav form{display:inline;margin:0}
button,input,select,textarea{font:inherit}
button{background:#24496b;color:#fff;border:0;border-radius:.4rem;padding:.45rem .9rem;cursor:pointer}
button.reject{background:#8a2d4b}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #1d5fd1;outline-offset:2px}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;max-width:24rem;padding:.45rem;border:1px solid #555;border-radius:.3rem;box-sizing:border-box}
.error{color:#8a1c1c;font-weight:600}
.notice{color:#1f5130;font-weight:600}
.actions{display:flex;gap:.5rem;flex-wrap:wrap}
.actions form{margin:0}
.held-reason{color:#5b3a00}
code{overflow-wrap:anywhere}
blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #bbb}
`;
