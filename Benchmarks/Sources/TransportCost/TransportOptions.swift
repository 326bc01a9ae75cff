import Foundation

/// Command-line options of `transport-cost` (`--name value`; `--help` lists them).
struct TransportOptions {
    enum Transport: String, CaseIterable {
        case tcp, ws, mqtts, wss

        var isWebSocket: Bool { self == .ws || self == .wss }
        var usesTLS: Bool { self == .mqtts || self == .wss }
    }

    var transport = Transport.tcp
    var port = 1883
    var path = "/mqtt"
    var caFile: String?
    var brokerPID: Int32?
    var devices = 5_000
    var concurrentConnects = 100
    var sources = 19
    var settle = 3.0
    var messages = 20
    var inFlight = 1
    var payload = 100
    var version = "5"

    static let usage = """
    transport-cost --transport tcp|ws|mqtts|wss --port PORT [--path /mqtt] [--ca root.pem] [--broker-pid PID]
                   [--devices 5000] [--concurrent-connects 100] [--sources 19] [--settle 3]
                   [--messages 20] [--in-flight 1] [--payload 100] [--version 5|3.1.1]
      The client's cost of one transport, through the product's MQTTClient (MQTTConnector and
      MQTTConnectionHandler, driven on one event loop as the fleet drives them), against a broker already
      listening on 127.0.0.1:PORT. Connects --devices devices, at most --concurrent-connects at a time (a
      listen backlog overflowed costs 1 s SYN retries), from source addresses 127.0.0.2 onwards (--sources of
      them); waits --settle s and reads RSS and malloc's heap in use; then every device publishes --messages
      QoS 1 messages of --payload bytes, --in-flight at a time, and the phase ends at the last PUBACK.
      CPU is this process's user + system time (getrusage), and the broker's (/proc/PID/stat) when
      --broker-pid is given. Prints a report and one `RESULT key=value …` line for scripts.
    """

    init(arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            if name == "--help" || name == "-h" {
                print(Self.usage)
                exit(0)
            }
            guard let value = rest.popFirst() else { throw TransportBenchError("\(name) needs a value\n\(Self.usage)") }
            func count() throws -> Int {
                guard let count = Int(value), count > 0 else {
                    throw TransportBenchError("\(name): not a positive whole number: \(value)")
                }
                return count
            }
            switch name {
            case "--transport":
                guard let transport = Transport(rawValue: value) else {
                    throw TransportBenchError("--transport: one of \(Transport.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.transport = transport
            case "--port": port = try count()
            case "--path": path = value
            case "--ca": caFile = value
            case "--broker-pid": brokerPID = Int32(try count())
            case "--devices": devices = try count()
            case "--concurrent-connects": concurrentConnects = try count()
            case "--sources": sources = min(try count(), 253)
            case "--settle":
                guard let seconds = Double(value), seconds >= 0 else { throw TransportBenchError("--settle: seconds ≥ 0") }
                settle = seconds
            case "--messages": messages = try count()
            case "--in-flight": inFlight = try count()
            case "--payload": payload = try count()
            case "--version":
                guard value == "5" || value == "3.1.1" else { throw TransportBenchError("--version: 5 or 3.1.1") }
                version = value
            default: throw TransportBenchError("unknown option \(name)\n\(Self.usage)")
            }
        }
        if transport.usesTLS && caFile == nil { throw TransportBenchError("--transport \(transport): needs --ca") }
    }
}

struct TransportBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
