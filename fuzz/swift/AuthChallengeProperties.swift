/// Properties of ``AuthChallenge/parse(_:)`` on the input as a `WWW-Authenticate` value:
/// - it never traps, a Bearer challenge always has a non-empty realm;
/// - the challenges, written back as quoted-string auth-params (RFC 9110 section 11.2), parse
///   to the same challenges: no value is truncated, merged or unescaped twice.
enum AuthChallengeProperties {
    static func check(_ input: FuzzInput) {
        let challenges = AuthChallenge.parse(input.text ?? String(decoding: input.bytes, as: UTF8.self))
        for case .bearer(let realm, _, _) in challenges {
            require(!realm.isEmpty, "bearer realm is never empty")
        }
        let written = challenges.map(render).joined(separator: ", ")
        require(AuthChallenge.parse(written) == challenges, "challenges parse back from \(written)")
    }

    private static func render(_ challenge: AuthChallenge) -> String {
        switch challenge {
        case .bearer(let realm, let service, let scope):
            var text = "Bearer realm=\(quoted(realm))"
            if let service { text += ",service=\(quoted(service))" }
            if let scope { text += ",scope=\(quoted(scope))" }
            return text
        case .basic(let realm):
            return realm.map { "Basic realm=\(quoted($0))" } ?? "Basic"
        }
    }

    /// `quoted-string`, escaping `"` and `\` as quoted-pairs.
    private static func quoted(_ value: String) -> String {
        var text = "\""
        for character in value.unicodeScalars {
            if character == "\"" || character == "\\" { text += "\\" }
            text.unicodeScalars.append(character)
        }
        return text + "\""
    }
}
