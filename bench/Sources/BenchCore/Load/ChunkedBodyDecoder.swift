/// The load generator's own decoder of the chunked transfer coding (RFC 9112 section 7.1),
/// independent of Cistern's: it moves the data bytes of a buffer to its front, in place,
/// and says when the last chunk and the trailer section ended. Chunk extensions and trailer
/// fields are skipped. Allocates nothing; keeps its state between buffers.
public struct ChunkedBodyDecoder: Sendable {
    /// What one `decode` call found.
    public enum Outcome: Equatable, Sendable {
        /// `dataCount` data bytes now at the buffer's front; the body continues.
        case more(dataCount: Int)
        /// The body ended after `dataCount` data bytes; `consumed` bytes of the buffer were
        /// the body's (the rest belongs to the next response).
        case done(dataCount: Int, consumed: Int)
        /// Not a valid chunked body.
        case invalid
    }

    private enum State { case size, sizeDigits, extensionBytes, sizeLF, data, dataCR, dataLF, trailerLineStart, trailerLine, trailerLF, finalLF }
    private var state = State.size
    private var remaining: Int64 = 0

    /// A decoder at the start of a body.
    public init() {}

    /// Decodes `buffer` (the body's next bytes), moving its data bytes to the front.
    public mutating func decode(_ buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        var out = 0
        var i = 0
        while i < buffer.count {
            let byte = buffer[i]
            switch state {
            case .size, .sizeDigits:
                if let digit = Self.hexValue(byte) {
                    guard remaining < (Int64(1) << 58) else { return .invalid }
                    remaining = remaining << 4 | Int64(digit)
                    state = .sizeDigits
                } else if state == .sizeDigits && (byte == UInt8(ascii: ";") || byte == 0x20 || byte == 0x09) {
                    state = .extensionBytes
                } else if state == .sizeDigits && byte == 0x0D {
                    state = .sizeLF
                } else if state == .sizeDigits && byte == 0x0A {
                    endOfSizeLine()
                } else {
                    return .invalid
                }
            case .extensionBytes:
                if byte == 0x0D { state = .sizeLF } else if byte == 0x0A { endOfSizeLine() }
            case .sizeLF:
                guard byte == 0x0A else { return .invalid }
                endOfSizeLine()
            case .data:
                let take = Int(min(remaining, Int64(buffer.count - i)))
                if out != i, let base = buffer.baseAddress { (base + out).copyMemory(from: base + i, byteCount: take) }
                out += take
                i += take
                remaining -= Int64(take)
                if remaining == 0 { state = .dataCR }
                continue
            case .dataCR:
                if byte == 0x0D { state = .dataLF } else if byte == 0x0A { state = .size } else { return .invalid }
            case .dataLF:
                guard byte == 0x0A else { return .invalid }
                state = .size
            case .trailerLineStart:
                if byte == 0x0D {
                    state = .finalLF
                } else if byte == 0x0A {
                    return .done(dataCount: out, consumed: i + 1)
                } else {
                    state = .trailerLine
                }
            case .trailerLine:
                if byte == 0x0D { state = .trailerLF } else if byte == 0x0A { state = .trailerLineStart }
            case .trailerLF:
                guard byte == 0x0A else { return .invalid }
                state = .trailerLineStart
            case .finalLF:
                guard byte == 0x0A else { return .invalid }
                return .done(dataCount: out, consumed: i + 1)
            }
            i += 1
        }
        return .more(dataCount: out)
    }

    private mutating func endOfSizeLine() {
        state = remaining == 0 ? .trailerLineStart : .data
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
