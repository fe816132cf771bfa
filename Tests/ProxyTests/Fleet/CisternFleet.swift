import Foundation
import Glibc

/// Three (or N) `cistern serve` processes on loopback ports behind HAProxy running
/// `deploy/haproxy.cfg`, all pulling through one upstream: the fleet of issue 18.
///
/// Each node has its own cache directory and node id (`node1`...), trusts 127.0.0.1 as a
/// proxy (HAProxy's `option forwardfor`), and logs its access lines to its own stderr.
/// Everything stops on deinit. Any thread may use an instance.
final class CisternFleet: Sendable {
    /// The nodes, in `server cistern1...N` order; a killed node stays in the list.
    let nodes: [CisternProcess]
    /// Their cache directories, in the same order.
    let caches: [URL]
    let haproxy: HAProxyProcess
    private let directory: TemporaryDirectory

    /// `127.0.0.1:PORT` of HAProxy's frontend.
    var hostAndPort: String { haproxy.hostAndPort }

    /// - Parameters:
    ///   - upstream: the upstream URL every node pulls through.
    ///   - nodeCount: how many nodes.
    /// - Throws: a start failure of a node or of HAProxy.
    init(upstream: String, nodeCount: Int = 3) throws {
        directory = try TemporaryDirectory(prefix: "cistern-fleet")
        let configuration = directory.url.appendingPathComponent("fleet.yml")
        try "trusted_proxies: [127.0.0.1]\n".write(to: configuration, atomically: true, encoding: .utf8)
        var nodes: [CisternProcess] = []
        var caches: [URL] = []
        for index in 1...nodeCount {
            let cache = try directory.makeSubdirectory("cache\(index)")
            caches.append(cache)
            nodes.append(try CisternProcess(upstream: upstream, cache: cache, extraArguments: [
                "--config", configuration.path, "--node-id", "node\(index)", "--access-log",
            ]))
        }
        self.nodes = nodes
        self.caches = caches
        haproxy = try HAProxyProcess(nodePorts: nodes.map(\.port))
    }

    deinit {
        haproxy.stop()
        for node in nodes { node.stop() }
    }

    /// The digests of the blobs committed in node `index`'s cache (0-based).
    func committedBlobDigests(node index: Int) -> Set<String> {
        Self.committedBlobDigests(cache: caches[index])
    }

    /// The digests of the blob files under `cache`/blobs/sha256.
    static func committedBlobDigests(cache: URL) -> Set<String> {
        let root = cache.appendingPathComponent("blobs/sha256")
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var digests: Set<String> = []
        for case let path as String in enumerator where path.split(separator: "/").count == 2 {
            digests.insert("sha256:" + path.split(separator: "/")[1])
        }
        return digests
    }
}
