export * from "./accounts.ts";
export * from "./follows.ts";
export * from "./remote-actors.ts";
export * from "./settings.ts";
export * from "./fedify-store.ts";
export * from "./videos.ts";
export * from "./moderation.ts";
export * from "./uploads.ts";
