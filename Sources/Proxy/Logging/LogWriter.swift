import Glibc
import ProxyLoop
import ProxySystem
import Synchronization

/// Hands log lines to a dedicated writer thread, so an event loop never
/// blocks on standard error: a stalled reader of the log (a full pipe, a
/// stuck journald or docker log driver) stops the log, not the server.
///
/// Lines are appended to a bounded in-memory buffer (1 MiB); when it is full
/// new lines are dropped and counted, and a note with the count is written
/// once the writer catches up. The writer thread does the blocking
/// `write(2)` calls. Thread-safe: the buffer is behind a pthread lock and
/// the writer waits on a condition variable.
public final class LogWriter: Sendable {
    /// The process's writer for standard error.
    public static let standardError = LogWriter(fileDescriptor: 2)

    public static let capacityByteCount = 1 << 20

    private let fileDescriptor: Int32
    private let pending = Locked<(bytes: [UInt8], dropped: Int, writerStarted: Bool)>(([], 0, false))
    private let wakeUp = Condition()

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Queues one line (which must end in `\n`). Never blocks on I/O.
    public func enqueue(_ line: UnsafeRawBufferPointer) {
        let start = pending.withLock { state -> Bool in
            if state.bytes.count + line.count > LogWriter.capacityByteCount {
                state.dropped += 1
            } else {
                state.bytes.append(contentsOf: line)
            }
            if state.writerStarted { return false }
            state.writerStarted = true
            return true
        }
        if start {
            LoopThread.spawnDetached(name: "cistern-log") { [self] in run() }
        }
        wakeUp.signal()
    }

    public func enqueue(_ line: [UInt8]) {
        line.withUnsafeBytes { enqueue($0) }
    }

    /// Waits (at most `milliseconds`) until queued lines were handed to the
    /// kernel: called at shutdown so the last lines are not lost.
    public func drain(milliseconds: Int = 1000) {
        for _ in 0..<max(1, milliseconds) {
            if pending.withLock({ $0.bytes.isEmpty }) && !writing.load(ordering: .acquiring) { return }
            usleep(1000)
        }
    }

    private let writing = Atomic<Bool>(false)

    private func run() {
        var batch: [UInt8] = []
        while true {
            wakeUp.wait(until: { pending.withLock { !$0.bytes.isEmpty || $0.dropped > 0 } })
            writing.store(true, ordering: .releasing)
            defer { writing.store(false, ordering: .releasing) }
            let dropped = pending.withLock { state -> Int in
                swap(&batch, &state.bytes)
                defer { state.dropped = 0 }
                return state.dropped
            }
            if dropped > 0 {
                batch.append(contentsOf: Array("cistern: \(dropped) log lines dropped (standard error was not being read)\n".utf8))
            }
            StderrLogHandler.writeAll(batch, to: fileDescriptor)
            batch.removeAll(keepingCapacity: true)
        }
    }
}
