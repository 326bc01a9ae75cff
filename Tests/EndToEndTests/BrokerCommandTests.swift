import Foundation
import Synchronization
import XCTest

/// `fleet broker` as a user runs it: it says where it listens, serves real MQTT clients (mosquitto's own
/// command-line tools), prints its status line, and stops cleanly on Ctrl-C.
final class BrokerCommandTests: XCTestCase {
    func testServesMosquittoClientsPrintsStatusAndStopsOnInterrupt() async throws {
        let broker = Process()
        broker.executableURL = FleetBinary.executable
        broker.arguments = ["broker", "--port", "0", "--status-every", "0.2"]
        let output = Pipe()
        broker.standardOutput = output
        broker.standardError = output
        let lines = OutputLines(output.fileHandleForReading)
        try broker.run()
        defer { if broker.isRunning { broker.terminate() } }

        let banner = try await lines.first(containing: "not a production broker", within: .seconds(10))
        XCTAssertTrue(banner.contains("lab instrument"), banner)
        let listening = try await lines.first(containing: "listening on mqtt://", within: .seconds(5))
        let url = try XCTUnwrap(listening.split(separator: " ").last.map(String.init))
        let port = try XCTUnwrap(url.split(separator: ":").last.map(String.init))

        let subscriber = try Self.mosquitto("mosquitto_sub", ["-h", "127.0.0.1", "-p", port, "-t", "e2e/broker/#",
                                                              "-C", "1", "-W", "10", "-V", "mqttv5"])
        // The subscription exists once the broker counts it; only then is the message published.
        _ = try await lines.first(containing: "subscriptions 1", within: .seconds(10))
        let publisher = try Self.mosquitto("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-t", "e2e/broker/x",
                                                             "-m", "hello", "-q", "1"])
        publisher.process.waitUntilExit()
        XCTAssertEqual(publisher.process.terminationStatus, 0, publisher.output())
        subscriber.process.waitUntilExit()
        XCTAssertEqual(subscriber.process.terminationStatus, 0, subscriber.output())
        XCTAssertEqual(subscriber.output().trimmingCharacters(in: .whitespacesAndNewlines), "hello")

        broker.interrupt()
        _ = try await lines.first(containing: "lab broker: stopped", within: .seconds(10))
        broker.waitUntilExit()
        XCTAssertEqual(broker.terminationStatus, 0)
    }

    func testAnUnknownProfileIsAnErrorWithItsName() throws {
        let outcome = try FleetBinary.run(["broker", "--profile", "no-such-profile.yaml", "--port", "0"])
        XCTAssertEqual(outcome.status, 2, outcome.output)
        XCTAssertTrue(outcome.errors.contains("no-such-profile.yaml"), outcome.errors)
    }

    /// A mosquitto client tool, its output collected in a file (so the pipe never fills).
    private static func mosquitto(_ tool: String, _ arguments: [String]) throws -> (process: Process, output: () -> String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
        process.arguments = arguments
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(tool)-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, { String(decoding: (try? Data(contentsOf: file)) ?? Data(), as: UTF8.self) })
    }
}

/// A child process's output as lines, awaited one condition at a time with a deadline.
private final class OutputLines: Sendable {
    private struct Waiter {
        var needle: String
        var continuation: CheckedContinuation<String?, Never>
    }

    private struct State {
        var lines: [String] = []
        /// Lines before this index were passed over by an earlier wait.
        var consumed = 0
        var partial = ""
        var finished = false
        var waiter: Waiter?

        /// The first unconsumed line containing `needle`, consuming it and every line before it.
        mutating func take(_ needle: String) -> String? {
            guard let index = lines[consumed...].firstIndex(where: { $0.contains(needle) }) else { return nil }
            consumed = index + 1
            return lines[index]
        }
    }

    private let state = Mutex(State())

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            let resume: (CheckedContinuation<String?, Never>, String?)? = state.withLock { state in
                if data.isEmpty {
                    state.finished = true
                } else {
                    state.partial += String(decoding: data, as: UTF8.self)
                    var lines = state.partial.components(separatedBy: "\n")
                    state.partial = lines.removeLast()
                    state.lines += lines
                }
                guard let waiter = state.waiter else { return nil }
                if let line = state.take(waiter.needle) {
                    state.waiter = nil
                    return (waiter.continuation, line)
                }
                guard state.finished else { return nil }
                state.waiter = nil
                return (waiter.continuation, nil)
            }
            if let (continuation, line) = resume { continuation.resume(returning: line) }
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        let needle: String
        var description: String { "no output line containing `\(needle)` in time" }
    }

    /// The next line containing `needle`; lines before it are passed over.
    func first(containing needle: String, within limit: Duration) async throws -> String {
        let timeout = Task { [self] in
            try await Task.sleep(for: limit)
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.continuation.resume(returning: nil)
        }
        defer { timeout.cancel() }
        let line: String? = await withCheckedContinuation { continuation in
            let ready: String?? = state.withLock { state in
                if let line = state.take(needle) { return .some(line) }
                if state.finished { return .some(nil) }
                state.waiter = Waiter(needle: needle, continuation: continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let line else { throw Timeout(needle: needle) }
        return line
    }
}
