import ProxyMetrics
import ProxyRegistry

/// The `kind` label of a request, from the route the dispatcher parsed.
extension EndpointKind {
    /// The kind of a request that routed to `route`. A push (``RegistryRoute/blobUpload(_:)``)
    /// is refused, so it counts as `other`.
    init(_ route: RegistryRoute) {
        switch route {
        case .base: self = .base
        case .manifest: self = .manifest
        case .blob: self = .blob
        case .tagsList: self = .tags
        case .referrers: self = .referrers
        case .health, .readiness: self = .health
        case .metrics: self = .metrics
        case .blobUpload, .token: self = .other
        }
    }

    /// The kind of a request whose target routed nowhere: `catalog` for `/v2/_catalog`
    /// (with or without a query), which a pull-through mirror does not serve; else `other`.
    init(unroutedTarget target: String) {
        let path = target.utf8.prefix { $0 != UInt8(ascii: "?") }
        self = path.elementsEqual("/v2/_catalog".utf8) ? .catalog : .other
    }
}
