import Logging
import Yams

/// Reads one YAML mapping key by key and remembers which keys were consumed, so that
/// every key nobody asked for can be reported as unknown (typos must not pass silently).
///
/// Scalars are read from their source text, not through YAML 1.1 type resolution, so
/// `listen: 0.0.0.0:5000` or `tag_ttl: 30` mean exactly what they say. A key whose value
/// is YAML null (`key:` or `key: ~`) counts as absent.
struct YAMLMappingReader {
    /// Where this mapping sits in the document (`""`, `timeouts`, `upstreams[1]`).
    let path: String
    private var keysInOrder: [String] = []
    private var values: [String: Node] = [:]
    private var consumed: Set<String> = []

    /// - Throws: ``ConfigurationError`` if `node` is not a mapping, a key is not a plain
    ///   string, or a key repeats.
    init(_ node: Node, path: String) throws {
        self.path = path
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError.invalidValue(key: path.isEmpty ? "(document)" : path, value: Self.summary(of: node),
                                                  reason: "expected a mapping of key: value")
        }
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigurationError.invalidValue(key: path, value: Self.summary(of: keyNode), reason: "keys must be plain strings")
            }
            let key = keyScalar.string
            guard values.updateValue(valueNode, forKey: key) == nil else {
                throw ConfigurationError.duplicateKey(key: keyPath(key))
            }
            keysInOrder.append(key)
        }
    }

    /// The full path of `key` in this mapping, for error messages.
    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The value node of `key`, or nil if absent or null; marks `key` as known.
    mutating func node(_ key: String) -> Node? {
        consumed.insert(key)
        guard let node = values[key] else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any, node.null != nil {
            return nil
        }
        return node
    }

    /// The source text of a scalar value.
    mutating func string(_ key: String) throws -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: Self.summary(of: node), reason: "expected a single value")
        }
        return scalar.string
    }

    /// A decimal integer (optional sign, no underscores or other bases).
    mutating func int(_ key: String) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: text, reason: "expected a whole number")
        }
        return value
    }

    /// A YAML boolean (`true`/`false`; YAML 1.1's `yes`/`no`/`on`/`off` too).
    mutating func bool(_ key: String) throws -> Bool? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node, let value = Bool.construct(from: scalar) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: Self.summary(of: node), reason: "expected true or false")
        }
        return value
    }

    /// A duration in ``Swift/Duration/init(configurationText:)`` syntax.
    mutating func duration(_ key: String) throws -> Duration? {
        guard let text = try string(key) else { return nil }
        guard let value = Duration(configurationText: text) else {
            throw ConfigurationError.invalidValue(
                key: keyPath(key), value: text, reason: "expected a duration such as 250ms, 30s, 2m, 1h, 14d (bare number = seconds)")
        }
        return value
    }

    /// A byte size in ``ByteCountText/parse(_:)`` syntax (`200GiB`, `100MiB`, bare bytes).
    mutating func byteCount(_ key: String) throws -> Int64? {
        guard let text = try string(key) else { return nil }
        guard let value = ByteCountText.parse(text) else {
            throw ConfigurationError.invalidValue(
                key: keyPath(key), value: text, reason: "expected a size such as 200GiB, 500MB or a number of bytes (0 = no limit)")
        }
        return value
    }

    /// A percentage in ``PercentageText/parse(_:)`` syntax, `90%` or `90`.
    mutating func percentage(_ key: String) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = PercentageText.parse(text) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: text, reason: "expected a percentage such as 90%")
        }
        return value
    }

    /// A ``ListenAddress`` (`HOST:PORT`, `[IPV6]:PORT`, `:PORT` or `PORT`).
    mutating func listenAddress(_ key: String) throws -> ListenAddress? {
        guard let text = try string(key) else { return nil }
        guard let value = ListenAddress(parsing: text) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: text, reason: "expected HOST:PORT, e.g. 0.0.0.0:5000")
        }
        return value
    }

    /// A swift-log level name (`trace` … `critical`).
    mutating func logLevel(_ key: String) throws -> Logger.Level? {
        guard let text = try string(key) else { return nil }
        guard let value = Logger.Level(configurationText: text) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: text, reason: Logger.Level.configurationTextChoices)
        }
        return value
    }

    /// The full paths of the keys nobody asked for, in document order (for formats whose
    /// unknown keys are warned about rather than refused).
    var unreadKeyPaths: [String] {
        keysInOrder.filter { !consumed.contains($0) }.map(keyPath)
    }

    /// - Throws: ``ConfigurationError/unknownKey(key:)`` for the first key (in document order)
    ///   that no accessor asked for.

    func rejectUnknownKeys() throws {
        if let unknown = keysInOrder.first(where: { !consumed.contains($0) }) {
            throw ConfigurationError.unknownKey(key: keyPath(unknown))
        }
    }

    /// A short rendering of a node for error messages.
    static func summary(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): return scalar.string
        case .mapping: return "(mapping)"
        case .sequence: return "(list)"
        }
    }
}
