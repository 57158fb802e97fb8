import { Hono } from "hono";
import {
  type CrisisResourceEntry,
  type CrisisResources,
  entryTitle,
} from "../../instance/crisis-resources.ts";
import { getCrisisResources } from "../../instance/instance-settings.ts";
import type { HttpDeps } from "../deps.ts";
import { Layout } from "./layout.tsx";

function Entry(props: { entry: CrisisResourceEntry }) {
  const { entry } = props;
  return (
    <li>
      <strong>{entryTitle(entry)}</strong>
      {entry.phone ? (
        <>
          {" "}
          — call <a href={`tel:${entry.phone.replace(/ /g, "")}`}>{entry.phone}</a>
        </>
      ) : null}
      {entry.url ? (
        <>
          {" "}
          — <a href={entry.url}>{entry.url}</a>
        </>
      ) : null}
    </li>
  );
}

/**
 * The instance's crisis resources as a block: on every watch and channel
 * page, and the whole of `/help` (where every page's header link goes).
 */
export function CrisisResourcesBlock(props: { resources: CrisisResources; headingLevel?: 1 | 2 }) {
  const { resources } = props;
  const heading = "Need help now?";
  return (
    <section class="card crisis" id="crisis-resources" aria-labelledby="crisis-resources-title">
      {props.headingLevel === 1 ? (
        <h1 id="crisis-resources-title">{heading}</h1>
      ) : (
        <h2 id="crisis-resources-title">{heading}</h2>
      )}
      <p>{resources.text}</p>
      {resources.entries.length > 0 ? (
        <ul>
          {resources.entries.map((e) => (
            <Entry entry={e} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export function helpRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get("/help", async (c) =>
    c.html(
      <Layout title="Need help now? — Haven" description="Crisis resources">
        <CrisisResourcesBlock
          resources={await getCrisisResources(deps.database.db)}
          headingLevel={1}
        />
      </Layout>,
    ),
  );
  return app;
}
