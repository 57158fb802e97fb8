import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("configuration from the environment", () => {
  it("runs with nothing set: embedded database, generated secret, port 3000", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl.href).toBe("http://localhost:3000/");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.secretKey).toBeUndefined();
    expect(config.dataDir).toBe("./data");
    expect(config.allowPrivateAddress).toBe(false);
    expect(config.role).toBe("all");
    expect(config.deliveryConcurrency).toBe(64);
    expect(config.workerNice).toBe(10);
    expect(config.instanceName).toBe("localhost:3000");
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("derives the default public URL from PORT", () => {
    expect(loadConfig({ PORT: "8080" }).publicUrl.href).toBe("http://localhost:8080/");
  });

  it.each([
    [{ PORT: "70000" }, "PORT must be a whole number between 1 and 65535"],
    [{ PORT: "web" }, "PORT must be a whole number"],
    [{ ALLOW_PRIVATE_ADDRESS: "maybe" }, "ALLOW_PRIVATE_ADDRESS must be true or false"],
    [{ PUBLIC_URL: "haven.example" }, "PUBLIC_URL is not a valid URL"],
    [{ PUBLIC_URL: "ftp://haven.example" }, "PUBLIC_URL must start with http:// or https://"],
    [{ PUBLIC_URL: "https://haven.example/app" }, "PUBLIC_URL must be an origin without a path"],
    [{ DATABASE_URL: "mysql://db/haven" }, "DATABASE_URL must be a postgres:// or postgresql://"],
    [{ SECRET_KEY: "short" }, "SECRET_KEY must be at least 32 characters"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL must be one of"],
    [{ HAVEN_ROLE: "both" }, "HAVEN_ROLE must be web, worker or all"],
    [{ MAX_UPLOAD_BYTES: "-1" }, "MAX_UPLOAD_BYTES must be a positive whole number"],
    [{ DELIVERY_CONCURRENCY: "0" }, "DELIVERY_CONCURRENCY must be a positive whole number"],
    [{ WORKER_NICE: "20" }, "WORKER_NICE must be a whole number from 0 to 19"],
    [{ WORKER_NICE: "low" }, "WORKER_NICE must be a whole number from 0 to 19"],
  ])("refuses %o with a message naming the variable", (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("reports every bad value at once, not just the first", () => {
    const problems = problemsOf({
      SECRET_KEY: "short",
      HAVEN_ROLE: "both",
      WORKER_NICE: "99",
    });
    expect(problems).toHaveLength(3);
  });

  it("takes valid values as given", () => {
    const config = loadConfig({
      PORT: "4000",
      PUBLIC_URL: "https://haven.example",
      DATABASE_URL: "postgres://haven@db/haven",
      SECRET_KEY: "x".repeat(32),
      ALLOW_PRIVATE_ADDRESS: "yes",
      HAVEN_ROLE: "worker",
      WORKER_NICE: "0",
      INSTANCE_NAME: "Haven for DBT",
    });
    expect(config.port).toBe(4000);
    expect(config.publicUrl.origin).toBe("https://haven.example");
    expect(config.databaseUrl).toBe("postgres://haven@db/haven");
    expect(config.allowPrivateAddress).toBe(true);
    expect(config.role).toBe("worker");
    expect(config.workerNice).toBe(0);
    expect(config.instanceName).toBe("Haven for DBT");
  });
});
