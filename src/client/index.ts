/**
 * The Ballot client. Import as `ballot/client`. Self-contained: it imports nothing of the server and needs only
 * `fetch`, `URL` and `TextEncoder`/`TextDecoder`, so it runs in Workers, Node 20+ and browsers.
 */
export {
  createClient,
  keyPath,
  type BallotClient,
  type ClientOptions,
  type DeleteOptions,
  type Entry,
  type FetchLike,
  type Health,
  type PutOptions,
  type PutResult,
  type UpdateOptions,
  type UpdateResult,
  type Updater,
  type Value,
} from "./client.js";
export { BadRequest, BallotError, Conflict, Forbidden, NotFound, OutcomeUnknown, PreconditionFailed, Unauthorized, Unavailable } from "./errors.js";
export { type WaitForOptions, type WaitResult, type WatchApi, type WatchEvent, type WatchOptions } from "./watch.js";
export { type PrefixWatchApi, type PrefixWatchEvent, type PrefixWatchOptions } from "./watch-prefix.js";
export {
  type Txn,
  type TxnApi,
  type TxnCondition,
  type TxnCount,
  type TxnOpResult,
  type TxnOps,
  type TxnRead,
  type TxnRequestBody,
  type TxnResult,
  type TxnWrite,
  type TxnWireCompare,
  type TxnWireOp,
} from "./txn.js";
export { type KeyPage, type ListApi, type ListedKey, type ListOptions } from "./list.js";
export { LockHeld, lockPath, type Lease, type LockApi, type LockHandle, type LockOptions } from "./lock.js";
export {
  LayoutChangeFailed,
  type Layout,
  type LayoutAcceptor,
  type LayoutApi,
  type LayoutChangeRequest,
  type LayoutChangeStarted,
  type LayoutChangeStatus,
  type LayoutGroup,
  type WaitOptions,
} from "./layout.js";
