/// An authentication challenge from an upstream `WWW-Authenticate` field (RFC 9110 section
/// 11.6.1), limited to the schemes a registry client answers: Bearer (Docker token
/// authentication, "Token Authentication Specification") and Basic (RFC 7617).
public enum AuthChallenge: Hashable, Sendable {
    /// `Bearer realm="…",service="…",scope="…"`: fetch a token from `realm` (an absolute
    /// URL) for `service`, asking for `scope` (space-separated scopes, as sent).
    case bearer(realm: String, service: String?, scope: String?)
    /// `Basic realm="…"`: send credentials directly.
    case basic(realm: String?)

    /// Parses every challenge in one `WWW-Authenticate` field value, in order.
    ///
    /// Grammar: `#challenge`, `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`,
    /// `auth-param = token BWS "=" BWS ( token / quoted-string )`; a list element of the form
    /// `name = value` continues the current challenge, any other element starts a new one.
    /// Scheme and parameter names are case-insensitive; quoted-pairs are unescaped; the first
    /// occurrence of a parameter wins. Unknown schemes, Bearer without a non-empty `realm`, and malformed
    /// elements are skipped; parsing stops at an unterminated quoted-string, dropping the
    /// challenge it belongs to. Never throws:
    /// an unusable header yields `[]`.
    public static func parse(_ headerValue: String) -> [AuthChallenge] {
        var scanner = ChallengeScanner(bytes: Array(headerValue.utf8))
        var result: [AuthChallenge] = []
        for raw in scanner.scanChallenges() {
            switch raw.scheme.lowercased() {
            case "bearer":
                guard let realm = raw.parameter("realm"), !realm.isEmpty else { continue }
                result.append(.bearer(realm: realm, service: raw.parameter("service"), scope: raw.parameter("scope")))
            case "basic":
                result.append(.basic(realm: raw.parameter("realm")))
            default:
                continue
            }
        }
        return result
    }
}

/// One challenge as written: its scheme and auth-params (names lowercased).
fileprivate struct RawChallenge {
    var scheme: String
    var parameters: [(name: String, value: String)] = []

    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }
}

/// A cursor over a `WWW-Authenticate` value that splits it into challenges.
fileprivate struct ChallengeScanner {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func scanChallenges() -> [RawChallenge] {
        var challenges: [RawChallenge] = []
        var current: RawChallenge?
        while true {
            skip { $0 == UInt8(ascii: ",") || Self.isOWS($0) }
            guard index < bytes.count else { break }
            let name = scanWhile { Self.isTChar($0) || Self.isToken68Extra($0) }
            guard !name.isEmpty else {
                skipToNextElement()
                continue
            }
            let afterName = index
            skip(Self.isOWS)
            if peek == UInt8(ascii: "="), current != nil, !isToken68Padding(), name.allSatisfy(Self.isTChar) {
                // `name BWS "=" BWS value`: a further auth-param of the current challenge.
                index += 1
                guard let value = scanParameterValue() else {
                    current = nil
                    break
                }
                appendParameter(name: name, value: value, to: &current)
                skipToNextElement()
                continue
            }
            // Anything else starts a new challenge: `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
            index = afterName
            if let finished = current { challenges.append(finished) }
            guard name.allSatisfy(Self.isTChar) else {
                current = nil
                skipToNextElement()
                continue
            }
            current = RawChallenge(scheme: String(decoding: name, as: UTF8.self))
            skip(Self.isOWS)
            guard index < bytes.count, peek != UInt8(ascii: ",") else { continue }
            let firstName = scanWhile { Self.isTChar($0) || Self.isToken68Extra($0) }
            let afterFirstName = index
            skip(Self.isOWS)
            if peek == UInt8(ascii: "="), !isToken68Padding(), !firstName.isEmpty, firstName.allSatisfy(Self.isTChar) {
                index += 1
                guard let value = scanParameterValue() else {
                    current = nil
                    break
                }
                appendParameter(name: firstName, value: value, to: &current)
            } else {
                index = afterFirstName  // a token68 (credentials-style blob); not used by registries
                skip { $0 == UInt8(ascii: "=") }
            }
            skipToNextElement()
        }
        if let finished = current { challenges.append(finished) }
        return challenges
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// At a run of `=` that ends the element (token68 padding such as `abc==`), not a parameter.
    private func isToken68Padding() -> Bool {
        var probe = index
        while probe < bytes.count, bytes[probe] == UInt8(ascii: "=") { probe += 1 }
        while probe < bytes.count, Self.isOWS(bytes[probe]) { probe += 1 }
        return probe == bytes.count || bytes[probe] == UInt8(ascii: ",")
    }

    /// `BWS ( token / quoted-string )`; nil on an unterminated quoted-string.
    private mutating func scanParameterValue() -> [UInt8]? {
        skip(Self.isOWS)
        guard peek == UInt8(ascii: "\"") else { return Array(scanWhile(Self.isTChar)) }
        index += 1
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return value }
            if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { return nil }
                value.append(bytes[index])
                index += 1
            } else {
                value.append(byte)
            }
        }
        return nil
    }

    private func appendParameter(name: ArraySlice<UInt8>, value: [UInt8], to challenge: inout RawChallenge?) {
        let lowered = String(decoding: name.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        challenge?.parameters.append((lowered, String(decoding: value, as: UTF8.self)))
    }

    /// Moves past the rest of the current list element, honouring quoted-strings.
    private mutating func skipToNextElement() {
        var isQuoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if isQuoted {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { isQuoted = false }
            } else if byte == UInt8(ascii: "\"") {
                isQuoted = true
            } else if byte == UInt8(ascii: ",") {
                return
            }
            index += 1
        }
    }

    private mutating func skip(_ predicate: (UInt8) -> Bool) {
        while index < bytes.count, predicate(bytes[index]) { index += 1 }
    }

    private mutating func scanWhile(_ predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        skip(predicate)
        return bytes[start..<index]
    }

    static func isOWS(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// RFC 9110 section 5.6.2 `tchar`.
    static func isTChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// The one token68 character that is not a tchar.
    static func isToken68Extra(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "/") }
}
