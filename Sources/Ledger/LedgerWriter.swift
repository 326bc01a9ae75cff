import Foundation

/// Appends run events (or any other JSON lines) to a file or pipe from any thread.
///
/// Events are encoded under a lock into a memory buffer that is written out when it
/// grows past 64 KiB, every 200 ms by a timer, and on ``close()``. A crash or Ctrl-C
/// therefore loses at most the last ~200 ms of events, while a run with tens of
/// thousands of devices does not pay one `write(2)` per event.
public final class LedgerWriter: RunEventSink, @unchecked Sendable {
    // @unchecked: every mutable field below is guarded by `lock`.
    private let lock = NSLock()
    private let handle: FileHandle
    private let encoder: JSONEncoder
    private var buffer = Data()
    private var closed = false
    private let timer: DispatchSourceTimer
    private let flushThreshold = 64 * 1024

    /// The file being written ("-" for a pipe handed in).
    public let path: String

    /// Creates (or truncates) `path` and starts the periodic flush.
    public convenience init(path: String, flushInterval: Duration = .milliseconds(200)) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw LedgerError.cannotCreate(path: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw LedgerError.cannotCreate(path: path)
        }
        self.init(handle: handle, path: path, flushInterval: flushInterval)
    }

    /// Writes to an open handle (a worker process's standard output); `close()` closes it.
    public init(handle: FileHandle, path: String = "-", flushInterval: Duration = .milliseconds(200)) {
        self.path = path
        self.handle = handle
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        self.encoder = encoder
        buffer.reserveCapacity(flushThreshold * 2)
        let queue = DispatchQueue(label: "fleet.ledger.flush")
        timer = DispatchSource.makeTimerSource(queue: queue)
        let (seconds, attoseconds) = flushInterval.components
        let intervalNs = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        timer.schedule(deadline: .now() + .nanoseconds(intervalNs), repeating: .nanoseconds(intervalNs))
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }

    /// Appends one event. Events recorded after ``close()`` are dropped.
    public func record(_ event: RunEvent) {
        append(event)
    }

    /// Appends one value as a JSON line. Lines appended after ``close()`` are dropped.
    public func append(_ value: some Encodable) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed, let line = try? encoder.encode(value) else { return }
        buffer.append(line)
        buffer.append(0x0A)
        if buffer.count >= flushThreshold {
            writeBufferLocked()
        }
    }

    /// Writes buffered events to the file now.
    public func flush() {
        lock.lock()
        defer { lock.unlock() }
        writeBufferLocked()
    }

    /// Flushes, stops the timer and closes the file. Idempotent.
    public func close() {
        timer.cancel()
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        writeBufferLocked()
        closed = true
        try? handle.close()
    }

    private func writeBufferLocked() {
        guard !closed, !buffer.isEmpty else { return }
        // A full disk must not crash the run; the reader tolerates a short file.
        try? handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Failures opening or reading a ledger file.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    case cannotCreate(path: String)
    case cannotRead(path: String)
    /// A line other than the last one is not a valid event.
    case corruptLine(path: String, line: Int)

    public var description: String {
        switch self {
        case .cannotCreate(let path): "cannot create ledger file \(path)"
        case .cannotRead(let path): "cannot read ledger file \(path)"
        case .corruptLine(let path, let line): "\(path):\(line): not a ledger event"
        }
    }
}
