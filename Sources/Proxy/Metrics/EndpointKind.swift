/// Which endpoint a client request addressed, as the `kind` label of
/// `cistern_requests_total` counts it; a closed set, derived from the route the dispatcher
/// parsed (distribution-spec "Endpoints" plus the mirror's own operational paths).
public enum EndpointKind: String, Sendable, Equatable, CaseIterable {
    /// end-1 `/v2/`: the API version check.
    case base
    /// end-3 `/v2/<name>/manifests/<reference>`.
    case manifest
    /// end-2 `/v2/<name>/blobs/<digest>`.
    case blob
    /// end-8a `/v2/<name>/tags/list`.
    case tags
    /// `/v2/_catalog`: not served by a pull-through mirror (404), counted apart so a
    /// client that lists repositories shows up as such.
    case catalog
    /// end-12a `/v2/<name>/referrers/<digest>`.
    case referrers
    /// `/metrics`.
    case metrics
    /// `/healthz` and `/readyz`: the probes.
    case health
    /// Anything else: unknown paths, malformed targets, refused pushes, heads that were
    /// rejected before routing.
    case other

    /// Position in ``allCases``, for arrays of pre-created series.
    var index: Int {
        switch self {
        case .base: 0
        case .manifest: 1
        case .blob: 2
        case .tags: 3
        case .catalog: 4
        case .referrers: 5
        case .metrics: 6
        case .health: 7
        case .other: 8
        }
    }
}
