/// Everything about a fake upstream that tests configure and connection threads read:
/// content, behaviour rules, authentication, and the record of requests. A pure value kept
/// behind `FakeUpstream.state`'s lock.
struct FakeUpstreamState: Sendable {
    /// Blobs, manifests, tags and referrers.
    var content = FakeUpstreamContent()
    /// Behaviour rules in the order added.
    var rules: [FakeUpstream.BehaviourRule] = []
    /// The number the next rule's id gets.
    var nextRuleNumber = 1
    /// The authentication the registry routes require.
    var authentication: FakeUpstream.Authentication = .none
    /// Tokens the token endpoint issued, by token string.
    var issuedTokens: [String: FakeUpstream.IssuedToken] = [:]
    /// How many requests reached the token endpoint.
    /// Added to the monotonic clock wherever tokens are issued or checked, so a test moves
    /// the fake's time past `expires_in` instead of sleeping (`advanceTokenClock(by:)`).
    var tokenClockOffset: Duration = .zero
    var tokenRequestCount = 0
    /// Every request received, in arrival order.
    var requests: [RecordedRequest] = []
    /// gzip output by the digest of its input (computed once per body).
    var gzipByInputDigest: [String: [UInt8]] = [:]

    /// The behaviours of every rule that matches a request, in rule order, counting one use
    /// of each (rules that reach 0 uses are removed).
    mutating func takeBehaviours(method: String, path: String, route: FakeUpstream.Route) -> [FakeUpstream.Behaviour] {
        var taken: [FakeUpstream.Behaviour] = []
        for index in rules.indices {
            let rule = rules[index]
            if let ruleMethod = rule.method, ruleMethod != method { continue }
            guard matches(rule.scope, path: path, route: route) else { continue }
            taken.append(rule.behaviour)
            if let remaining = rule.remainingUses { rules[index].remainingUses = remaining - 1 }
        }
        rules.removeAll { $0.remainingUses == 0 }
        return taken
    }

    private func matches(_ scope: FakeUpstream.Scope, path: String, route: FakeUpstream.Route) -> Bool {
        switch scope {
        case .everything: return route != .token
        case .route(let kind): return route.kind == kind
        case .path(let wanted): return path == wanted
        case .pathPrefix(let prefix): return path.hasPrefix(prefix)
        case .repository(let name): return route.repository == name
        case .digest(let digest):
            switch route {
            case .blob(_, let requested), .referrers(_, let requested): return requested == digest
            case .manifest(let repository, let reference):
                return reference == digest
                    || content.manifest(repository: repository, reference: reference)?.digest == digest
            case .base, .token, .tagsList, .unknown: return false
            }
        }
    }
}
