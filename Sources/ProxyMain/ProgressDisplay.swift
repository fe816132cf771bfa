import Glibc
import ProxySystem

/// Progress of a `cistern cache` tool on standard error: a bar redrawn in place on a
/// terminal (`isatty`), else a plain line at every tenth of the work, so logs stay readable.
final class ProgressDisplay {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastTenth = -1
    private var lastDrawNanoseconds: Int64 = 0
    /// Whether a bar is on the terminal's current line (drawn, not yet ended by a newline).
    private var barIsOpen = false

    init(label: String) {
        self.label = label
    }

    /// `done` of `total` units (files) are finished.
    func update(done: Int, total: Int, detail: String = "") {
        guard total > 0 else { return }
        let fraction = Double(done) / Double(total)
        if isTerminal {
            let nanoseconds = MonotonicClock.now()
            guard done == total || nanoseconds - lastDrawNanoseconds > 100_000_000 else { return }
            lastDrawNanoseconds = nanoseconds
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            write("\r\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(detail)")
            barIsOpen = done != total
            if done == total { write("\n") }
        } else {
            let tenth = Int(fraction * 10)
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            write("\(label): \(tenth * 10)% (\(done)/\(total)) \(detail)\n")
        }
    }

    /// Ends a bar left short of 100% (work that failed part-way) with a newline, so that what
    /// is printed next starts on its own line.
    func finish() {
        if barIsOpen { write("\n") }
        barIsOpen = false
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
