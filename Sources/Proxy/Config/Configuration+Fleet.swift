import ProxyHTTP
import Yams

/// The settings a Cistern in a fleet or a tier needs: its node id (`Via`, loop detection) and
/// the proxies whose `X-Forwarded-For` it believes.
extension Configuration {
    /// Reads `node_id` and `trusted_proxies` from the top-level mapping into `configuration`.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` for a `trusted_proxies`
    ///   that is not a list of strings or holds something other than an address or CIDR block
    ///   (key `trusted_proxies[i]`); a bad `node_id` is refused by ``validateFleetSettings()``.
    static func readFleetSettings(_ reader: inout YAMLMappingReader, into configuration: inout Configuration) throws {
        if let nodeID = try reader.string("node_id") { configuration.nodeID = nodeID }
        guard let node = reader.node("trusted_proxies") else { return }
        guard case .sequence(let sequence) = node else {
            throw ConfigurationError.invalidValue(key: "trusted_proxies", value: YAMLMappingReader.summary(of: node),
                                                  reason: "expected a list of addresses or CIDR blocks")
        }
        configuration.trustedProxies = try sequence.enumerated().map { index, element in
            let key = "trusted_proxies[\(index)]"
            guard case .scalar(let scalar) = element else {
                throw ConfigurationError.invalidValue(key: key, value: YAMLMappingReader.summary(of: element),
                                                      reason: "expected an address or CIDR block")
            }
            return try AddressRange(parsing: scalar.string, key: key)
        }
    }

    /// Checks `node_id`: a Via received-by (no spaces, commas, parentheses or quotes).
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` with key `node_id`.
    func validateFleetSettings() throws {
        if let nodeID, !ViaField.isValidReceivedBy(nodeID) {
            throw ConfigurationError.invalidValue(
                key: "node_id", value: nodeID,
                reason: "must be 1 to 255 visible ASCII characters without spaces, commas, parentheses or quotes (it is sent in Via)")
        }
        for (index, upstream) in upstreams.enumerated() {
            if let namespace = upstream.namespace {
                do {
                    try UpstreamConfiguration.validateName(namespace)
                } catch {
                    throw ConfigurationError.invalidValue(key: "upstreams[\(index)].ns", value: namespace,
                                                          reason: "must be a registry name as containerd's ns carries it, e.g. docker.io")
                }
            }
        }
    }
}
