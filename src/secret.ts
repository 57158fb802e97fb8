import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * SECRET_KEY, or one generated on first start and kept in
 * `$DATA_DIR/secret.key` (mode 0600) so tokens survive restarts.
 */
export function loadSecret(config: { secretKey: string | undefined; dataDir: string }): string {
  if (config.secretKey) return config.secretKey;
  const path = join(config.dataDir, "secret.key");
  if (existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value.length >= 32) return value;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const value = randomBytes(32).toString("hex");
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: "w" });
  chmodSync(path, 0o600);
  return value;
}

/** A purpose-bound key derived from the secret (HKDF-SHA256). */
export async function deriveKey(secret: string, purpose: string): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    "HKDF",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new TextEncoder().encode("haven"),
      info: new TextEncoder().encode(purpose),
    },
    base,
    256,
  );
  return new Uint8Array(bits);
}
