import "../../src/temporal.ts";
