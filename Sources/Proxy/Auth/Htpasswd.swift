import ProxyConfig

/// The users of an htpasswd file: `user:hash` per line, as Apache's `htpasswd -B` writes
/// them. Only bcrypt hashes (`$2y$`, `$2b$`, `$2a$`) are accepted: MD5-crypt (`$apr1$`),
/// SHA-1 (`{SHA}`) and plain text are too cheap to guess, and are refused naming the file
/// and line. Blank lines and lines starting with `#` are skipped. Pure value; any thread.
package struct Htpasswd: Sendable, Equatable {
    /// Bcrypt hash per user name.
    package let hashes: [String: String]

    /// Parses the file's text.
    /// - Parameters:
    ///   - path: the file, for error messages.
    ///   - key: the configuration key that named it (`auth.htpasswd`).
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` naming `path:line`
    ///   for a line without `:`, an empty user, a user given twice, or a hash that is not bcrypt.
    package init(text: String, path: String, key: String = "auth.htpasswd") throws {
        var hashes: [String: String] = [:]
        // Line by line; "\r\n" is one Character (and a newline) in Swift.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            func refuse(_ reason: String) -> ConfigurationError {
                ConfigurationError.invalidValue(key: key, value: path, reason: "line \(index + 1): \(reason)")
            }
            guard let colon = line.firstIndex(of: ":") else { throw refuse("expected user:hash") }
            let user = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard !user.isEmpty else { throw refuse("empty user name") }
            guard ["$2y$", "$2b$", "$2a$"].contains(where: { hash.hasPrefix($0) }), hash.count == 60 else {
                throw refuse("the hash of \(user) is not bcrypt (write it with htpasswd -B)")
            }
            guard hashes.updateValue(hash, forKey: user) == nil else { throw refuse("\(user) appears twice") }
        }
        self.hashes = hashes
    }

    /// Users given directly (tests; an `auth:` without `htpasswd`).
    package init(hashes: [String: String]) {
        self.hashes = hashes
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``ConfigurationError`` naming `key` when the file cannot be read or a line is refused.
    package static func read(path: String, key: String = "auth.htpasswd") throws -> Htpasswd {
        let text: String
        do {
            text = try ConfigurationFile.readText(atPath: path)
        } catch {
            throw ConfigurationError.invalidValue(key: key, value: path, reason: "cannot read the file: \(error.reason)")
        }
        return try Htpasswd(text: text, path: path, key: key)
    }
}
