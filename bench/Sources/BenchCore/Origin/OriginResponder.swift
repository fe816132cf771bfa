/// The counting origin registry: answers `/v2/`, manifests by tag or digest and blobs
/// (GET/HEAD, single ranges) from a `RegistryFixture`, throttles blob bodies per connection
/// at the rate the repository name asks for (else the default), and counts requests and
/// body bytes per digest into a shared `Guarded<OriginCounters>`.
///
/// Confinement: one instance per server worker thread; `counters` is shared and locked.
public final class OriginResponder: BenchResponder {
    private let fixture: RegistryFixture
    private let layersByDigest: [String: SyntheticBlob]
    private let defaultRateBytesPerSecond: Int64
    private let counters: Guarded<OriginCounters>

    /// An origin serving `fixture`; blobs go at `defaultRateBytesPerSecond` (0 = unthrottled)
    /// unless the repository name says otherwise.
    public init(fixture: RegistryFixture, defaultRateBytesPerSecond: Int64, counters: Guarded<OriginCounters>) {
        self.fixture = fixture
        layersByDigest = Dictionary(fixture.layers.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        self.defaultRateBytesPerSecond = defaultRateBytesPerSecond
        self.counters = counters
    }

    private static let apiVersion = ("Docker-Distribution-API-Version", "registry/2.0")

    public func respond(to request: BenchRequest) -> BenchResponse {
        let isHead = request.method == "HEAD"
        let route = OriginRoute.parse(path: request.path)
        counters.withLock { counters in
            counters.requestCount += 1
            let digest: String? = switch route {
            case .blob(let digest, _): digest
            case .manifest(let reference, _): reference == fixture.tag ? fixture.manifestDigest : reference
            default: nil
            }
            if let digest {
                var count = counters.digests[digest] ?? .init()
                if isHead { count.headCount += 1 } else { count.getCount += 1 }
                if request.range != nil, !isHead { count.rangeCount += 1 }
                counters.digests[digest] = count
            }
        }
        switch route {
        case .base:
            return BenchResponse(status: 200, fields: [("Content-Type", "application/json"), Self.apiVersion],
                                 body: .bytes(Array("{}".utf8)))
        case .stats:
            let text = counters.withLock { $0.text }
            return BenchResponse(status: 200, fields: [("Content-Type", "text/plain")], body: .bytes(Array(text.utf8)))
        case .manifest(let reference, _):
            guard reference == fixture.tag || reference == fixture.manifestDigest else {
                return .error(status: 404, code: "MANIFEST_UNKNOWN", message: "manifest unknown")
            }
            return BenchResponse(
                status: 200,
                fields: [("Content-Type", RegistryFixture.manifestMediaType),
                         ("Docker-Content-Digest", fixture.manifestDigest), Self.apiVersion],
                body: .bytes(fixture.manifestBytes), countKey: fixture.manifestDigest)
        case .blob(let digest, let rate):
            return blobResponse(digest: digest, range: request.range, rate: rate ?? defaultRateBytesPerSecond)
        case .unknown:
            return .error(status: 404, code: "NAME_UNKNOWN", message: "no such route")
        }
    }

    private func blobResponse(digest: String, range rangeField: String?, rate: Int64) -> BenchResponse {
        let length: Int64
        let makeBody: (Range<Int64>) -> BenchResponse.Body
        if let layer = layersByDigest[digest] {
            length = layer.byteCount
            makeBody = { .synthetic(layer, $0) }
        } else if digest == fixture.configDigest {
            length = Int64(fixture.configBytes.count)
            let bytes = fixture.configBytes
            makeBody = { .bytes(Array(bytes[Int($0.lowerBound)..<Int($0.upperBound)])) }
        } else {
            return .error(status: 404, code: "BLOB_UNKNOWN", message: "blob unknown to registry")
        }
        var fields = [("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", digest),
                      ("Accept-Ranges", "bytes"), Self.apiVersion]
        switch ByteRangeRequest.resolve(rangeField, length: length) {
        case .whole:
            return BenchResponse(status: 200, fields: fields, body: makeBody(0..<length),
                                 rateBytesPerSecond: rate, countKey: digest)
        case .partial(let range):
            fields.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"))
            return BenchResponse(status: 206, fields: fields, body: makeBody(range),
                                 rateBytesPerSecond: rate, countKey: digest)
        case .unsatisfiable:
            return BenchResponse(status: 416, fields: [("Content-Range", "bytes */\(length)")], body: .none(contentLength: 0))
        }
    }

    public func sentBody(byteCount: Int64, key: String) {
        counters.withLock { counters in
            var count = counters.digests[key] ?? .init()
            count.bodyByteCount += byteCount
            counters.digests[key] = count
        }
    }
}
