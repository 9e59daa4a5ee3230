/**
 * The names of the Redis session store's keys and pub/sub channel, all under one prefix (so, with
 * a hash tag in it, all in one Cluster slot).
 */
export class RedisKeys {
  /** The set of every stored session's id. */
  readonly sessions: string
  /** The pub/sub channel revocations are published on. */
  readonly revocations: string
  /** What every revocation key starts with (scanned after a resubscribe). */
  readonly revokedHead: string

  constructor(readonly prefix: string) {
    this.sessions = `${prefix}sessions`
    this.revocations = `${prefix}revocations`
    this.revokedHead = `${prefix}revoked:`
  }

  /** The hash holding one session: `v` version, `e` refresh expiry, `r` record. */
  session(id: string): string {
    return `${this.prefix}session:${id}`
  }

  /** The revocation of a session name (its value: until when, and since when). */
  revoked(name: string): string {
    return `${this.revokedHead}${name}`
  }
}
