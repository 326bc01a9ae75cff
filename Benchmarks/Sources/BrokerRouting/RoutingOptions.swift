import Foundation

/// Command-line options of `broker-routing` (`--name value`; `--help` lists them).
struct RoutingOptions {
    var port = 1883
    var brokerPID: Int32?
    var publishers = 100
    var subscribers = 1
    var filter = "bench/#"
    var payload = 64
    var inFlight = 10_000
    var warmup = 1.0
    var duration = 10.0
    var drain = 10.0

    static let usage = """
    broker-routing --port 1883 [--broker-pid PID] [--publishers 100] [--subscribers 1] [--filter 'bench/#']
                   [--payload 64] [--in-flight 10000] [--warmup 1] [--duration 10] [--drain 10]
      QoS 0 fan-in against a broker that is already running on 127.0.0.1:--port: --subscribers connections
      subscribe to --filter, then --publishers connections publish --payload-byte messages, each to its own
      topic bench/p<N>, as fast as the broker routes them: at most --in-flight messages published and not yet
      delivered (0: flat out, paced only by TCP back-pressure, so brokers overflow their queues and drop).
      After --warmup s, counts what the subscribers receive for --duration s, with the broker's CPU time
      (/proc/PID/stat of --broker-pid) and this process's; then stops publishing and waits up to --drain s
      for the rest. Prints a report and one `RESULT key=value …` line for scripts.
    """

    init(arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            if name == "--help" || name == "-h" {
                print(Self.usage)
                exit(0)
            }
            guard let value = rest.popFirst() else { throw RoutingError("\(name) needs a value\n\(Self.usage)") }
            func number() throws -> Double {
                guard let number = Double(value), number >= 0 else { throw RoutingError("\(name): not a number ≥ 0: \(value)") }
                return number
            }
            func count() throws -> Int {
                guard let count = Int(value), count > 0 else { throw RoutingError("\(name): not a positive whole number: \(value)") }
                return count
            }
            switch name {
            case "--port": port = try count()
            case "--broker-pid": brokerPID = Int32(try count())
            case "--publishers": publishers = try count()
            case "--subscribers": subscribers = try count()
            case "--filter": filter = value
            case "--payload": payload = Int(try number())
            case "--in-flight": inFlight = Int(try number())
            case "--warmup": warmup = try number()
            case "--duration":
                duration = try number()
                guard duration > 0 else { throw RoutingError("--duration must be > 0") }
            case "--drain": drain = try number()
            default: throw RoutingError("unknown option \(name)\n\(Self.usage)")
            }
        }
    }
}

struct RoutingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
