/// How the local store took part in answering one client request; a closed set, used as
/// the access log's cache field and the `outcome` label of `cistern_cache_requests_total`.
public enum CacheOutcome: String, Sendable, Equatable, CaseIterable {
    /// Served entirely from the local store.
    case hit
    /// Not stored; this request started the upstream fill and was streamed from it.
    case miss
    /// Not yet stored; joined a fill another request had already started (single flight).
    case joined
    /// Served a stored copy past its freshness (tag TTL) because the upstream could not be
    /// asked or answered with an error.
    case stale
    /// Forwarded to the upstream without storing (not cacheable, e.g. the `/v2/` ping).
    case pass
}
