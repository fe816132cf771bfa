/// The identifier of one client request, as logged in the access log and sent back (and to
/// the upstream) in `X-Request-ID`.
///
/// Either the client's own `X-Request-ID` value when it is sane (``init(received:)``: 1 to
/// ``maximumReceivedLength`` bytes of letters, digits and `-._~+/=:`; a load balancer's or
/// tracer's id then ties their logs to ours), or one Cistern generated: 16 lowercase hex
/// digits of a 64-bit value (``Generator``). A generated id is kept as its number, so
/// creating and rendering it allocates nothing.
public enum RequestID: Sendable, Equatable {
    /// Generated here: rendered as 16 lowercase hex digits.
    case generated(UInt64)
    /// Taken from the request's `X-Request-ID` field.
    case received(String)

    /// Longest client-supplied id accepted (bytes).
    public static let maximumReceivedLength = 128

    /// The client's id, or nil when `value` is empty, too long, or holds any byte outside
    /// letters, digits and `-._~+/=:` (a request id is echoed into log lines and header
    /// fields: nothing that needs quoting or escaping is taken).
    public init?(received value: String) {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= Self.maximumReceivedLength, bytes.allSatisfy(Self.isAllowedByte) else { return nil }
        self = .received(value)
    }

    /// Appends the id's text to `out`.
    public func append(to out: inout [UInt8]) {
        switch self {
        case .generated(let value):
            var shift = 60
            while shift >= 0 {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xF
                out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
                shift -= 4
            }
        case .received(let text):
            out.append(contentsOf: text.utf8)
        }
    }

    /// The id's text.
    public var text: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    static func isAllowedByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    /// Makes request ids for one loop: SplitMix64 over a counter whose start is random per
    /// generator, so ids are unpredictable across processes, distinct within a generator
    /// (SplitMix64's output function is a bijection of the counter) and cost a few
    /// arithmetic instructions each. Confinement: one generator per loop (not thread-safe).
    public struct Generator: Sendable {
        private var state: UInt64

        /// A generator starting from `seed` (tests pass a fixed one).
        public init(seed: UInt64) {
            state = seed
        }

        /// A generator seeded from the system's random source.
        public init() {
            var random = SystemRandomNumberGenerator()
            state = random.next()
        }

        /// The next id.
        public mutating func next() -> RequestID {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return .generated(z ^ (z >> 31))
        }
    }
}
