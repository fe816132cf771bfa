import Glibc

/// The rate-limit fields of an upstream answer, as numbers.
public enum RateLimitFields {
    /// `Retry-After` (RFC 9110 section 10.2.3): delta-seconds, or an HTTP-date
    /// (IMF-fixdate) taken relative to `nowUnixSeconds`. - Returns: nanoseconds to wait (0
    /// for a date in the past), nil when absent or unreadable.
    public static func retryAfter(_ value: String?, nowUnixSeconds: Int64) -> Int64? {
        guard let text = value.map({ String(Substring($0).trimmingOWS()) }), !text.isEmpty else { return nil }
        if let seconds = Int64(text), seconds >= 0 { return min(seconds, 86_400) * 1_000_000_000 }
        guard let date = imfFixdate(text) else { return nil }
        return max(0, min(date - nowUnixSeconds, 86_400)) * 1_000_000_000
    }

    /// Seconds since the Unix epoch of `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 section 5.6.7).
    static func imfFixdate(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        // Ranges first: the fields come from the network, and tm's are Int32.
        guard fields.count == 6, fields[5] == "GMT", let day = Int32(fields[1]), (1...31).contains(day),
              let year = Int32(fields[3]), (1970...9999).contains(year),
              let month = months.firstIndex(of: String(fields[2])) else { return nil }
        let clock = fields[4].split(separator: ":")
        guard clock.count == 3, let hour = Int32(clock[0]), let minute = Int32(clock[1]), let second = Int32(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Int64(timegm(&parts))
    }

    /// `nanoseconds` as the whole seconds a `Retry-After` says: rounded up, so a client that
    /// waits them is never early.
    public static func retryAfterSeconds(_ nanoseconds: Int64) -> Int64 {
        (nanoseconds + 999_999_999) / 1_000_000_000
    }

    /// The count in `RateLimit-Limit` / `RateLimit-Remaining` as Docker Hub sends them
    /// (`100;w=21600`: 100 per 21,600 s window): the integer before any `;`.
    public static func count(_ value: String?) -> Int? {
        guard let value else { return nil }
        let first = value.split(separator: ";", maxSplits: 1).first.map { Substring($0).trimmingOWS() } ?? ""
        return Int(first)
    }

    /// The rate-limit fields of an answer that are passed on to clients, by lower-case name.
    public static let passedOn = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy", "ratelimit"]
}
