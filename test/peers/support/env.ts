/**
 * What `npm run test:peers` needs from its environment. Without a PeerTube
 * (PEERTUBE_URL + PEERTUBE_TOKEN) the suite is skipped, and says so.
 */
export interface PeersEnv {
  /** The PeerTube, e.g. http://127.0.0.1:9002 (its hostname must be 127.0.0.1: see README). */
  readonly peertubeUrl: string;
  /** An admin's OAuth access token: the suite creates its own PeerTube user with it. */
  readonly peertubeToken: string;
  /** PeerTube's console log (level debug), for "kept N activities"; null: not checked. */
  readonly peertubeLog: string | null;
  /**
   * Where the Haven under test listens (HAVEN_PEERS_ORIGIN); null: 127.0.0.41 on
   * a free port, new each run. PeerTube 6.3 keeps pooled connections to a
   * stopped Haven and loses its next delivery to the same address on them
   * ("socket hang up"), so reusing one address across runs loses the first Follow.
   */
  readonly havenOrigin: URL | null;
  /** A PostgreSQL superuser URL; the suite creates and drops its own database. */
  readonly adminDatabaseUrl: string;
}

export const SKIP_MESSAGE =
  "[test:peers] PEERTUBE_URL and PEERTUBE_TOKEN are not set: the real-PeerTube suite is SKIPPED. " +
  "Start a PeerTube (README, 'Testing against a real PeerTube'), then: " +
  "PEERTUBE_URL=http://127.0.0.1:9002 PEERTUBE_TOKEN=$(…/token.sh) PEERTUBE_LOG=…/peertube.log npm run test:peers";

export function peersEnv(env: NodeJS.ProcessEnv = process.env): PeersEnv | null {
  const url = env.PEERTUBE_URL?.trim();
  const token = env.PEERTUBE_TOKEN?.trim();
  if (!url || !token) return null;
  return {
    peertubeUrl: url.replace(/\/+$/, ""),
    peertubeToken: token,
    peertubeLog: env.PEERTUBE_LOG?.trim() || null,
    // Another loopback address than PeerTube's: PeerTube accepts an http://
    // origin without a TLD only because its own hostname is 127.0.0.1.
    havenOrigin: env.HAVEN_PEERS_ORIGIN?.trim() ? new URL(env.HAVEN_PEERS_ORIGIN.trim()) : null,
    adminDatabaseUrl: env.TEST_DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/test",
  };
}
