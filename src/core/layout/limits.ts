import { VSHARD_COUNT } from "./vshard.js";

/**
 * The most acceptor objects a layout may name, counting the old and the new groups of a running change (its peak).
 * Local workerd keeps about 2,500 SQLite Durable Objects live; this leaves room for the collectors, the root group
 * and the tests' own objects. Production could hold more, but a layout that cannot run locally cannot be tested, so
 * the same cap applies everywhere: 2,000 is, for example, 666 groups of 3 or 285 groups of 7.
 */
export const MAX_ACCEPTOR_OBJECTS = 2000;

/** Each group owns at least one vshard. */
export const MAX_GROUPS = VSHARD_COUNT;
