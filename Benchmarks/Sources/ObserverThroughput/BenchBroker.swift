import Foundation
import NIOCore
import NIOPosix

/// The benchmark's own mosquitto on a free loopback port, so the shared test broker's other users
/// neither disturb the measurement nor are disturbed by 60,000 messages a second.
///
/// Queue limits are raised so that mosquitto queues rather than drops when a subscriber falls
/// behind for a moment: a drop would be counted as the observer's loss.
final class BenchBroker {
    let port: Int
    let pid: Int32
    let directory: URL
    private let process: Process

    private init(port: Int, process: Process, directory: URL) {
        self.port = port
        self.process = process
        self.pid = process.processIdentifier
        self.directory = directory
    }

    static func start(executable: String, group: any EventLoopGroup) async throws -> BenchBroker {
        let port = try await freePort(group: group)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("observer-throughput-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("mosquitto.conf")
        let user = String(cString: getpwuid(geteuid()).pointee.pw_name)
        try """
        listener \(port) 127.0.0.1
        allow_anonymous true
        user \(user)
        persistence false
        max_queued_messages 1000000
        max_queued_bytes 0
        max_inflight_messages 0
        max_keepalive 65535
        sys_interval 1
        log_dest file \(directory.appendingPathComponent("mosquitto.log").path)
        log_type error
        log_type warning
        log_type notice

        """.write(to: config, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let broker = BenchBroker(port: port, process: process, directory: directory)
        do {
            try await broker.waitUntilListening(group: group)
        } catch {
            await broker.stop(keepFiles: true)
            throw error
        }
        return broker
    }

    /// Kills mosquitto and waits (without blocking a thread) until it has exited. SIGKILL, because
    /// a child spawned from a thread that blocks signals inherits the mask and never sees SIGTERM;
    /// with persistence off nothing is lost. The config and log stay only when asked (after a failure).
    func stop(keepFiles: Bool = false) async {
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        if !keepFiles { try? FileManager.default.removeItem(at: directory) }
    }

    /// Asks the kernel for a free loopback port by binding port 0 and closing again.
    private static func freePort(group: any EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    private func waitUntilListening(group: any EventLoopGroup) async throws {
        for _ in 0..<100 {
            guard process.isRunning else { throw BenchError("mosquitto exited at start; see \(directory.path)/mosquitto.log") }
            if let channel = try? await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get() {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("mosquitto did not listen on 127.0.0.1:\(port) within 5 s")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
