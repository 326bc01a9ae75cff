import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT/SIGTERM during a run: stop the devices gracefully and let the ledger be flushed and closed,
/// instead of dying with connections half-open and the last events lost.
final class RunInterruption: @unchecked Sendable {
    private let lock = NSLock()
    private var interrupted = false

    var happened: Bool { lock.withLock { interrupted } }

    /// Installs the handlers; `onSignal` runs once, on the first signal. `announce` says so on standard error
    /// (worker processes keep quiet: their coordinator says it once).
    func install(announce: Bool = true, _ onSignal: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                let first = lock.withLock {
                    defer { interrupted = true }
                    return !interrupted
                }
                if first {
                    if announce { FileHandle.standardError.write(Data("\nfleet run: stopping devices gracefully…\n".utf8)) }
                    onSignal()
                }
            }
            source.resume()
            return source
        }
    }
}
