import type { Child } from "hono/jsx";
import { Layout } from "./layout.tsx";

/** A page that says plainly why it stops here (403, 429, a refused form). */
export function MessagePage(props: { title: string; children?: Child }) {
  return (
    <Layout title={`${props.title} — Haven`}>
      <h1>{props.title}</h1>
      {props.children}
    </Layout>
  );
}
