import Foundation

/// Command-line options of `observer-throughput` (`--name value`; `--help` lists them).
struct BenchOptions {
    var devices = 200
    var rate = 60_000.0
    var duration = 10.0
    var publishers = 4
    var observers = 1
    var observerQoS = 1
    var drain = 3.0
    var mosquitto = ProcessInfo.processInfo.environment["MOSQUITTO"] ?? "/usr/sbin/mosquitto"

    static let usage = """
    observer-throughput [--devices 200] [--rate 60000] [--duration 10] [--publishers 4] [--observers 1]
                        [--observer-qos 1] [--drain 3] [--mosquitto /usr/sbin/mosquitto]
      Starts its own mosquitto, subscribes fleet's observers (the product's Observation code), publishes
      every device's sequence-numbered default telemetry at QoS 0 at --rate msg/s in total for --duration s,
      waits until mosquitto has taken in every message (at most 30 s) and --drain s more for the last
      deliveries, then prints what the observers counted, per-second rates, CPU per thread and the bottleneck.
    """

    init(arguments: [String]) throws {
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            if name == "--help" || name == "-h" {
                print(Self.usage)
                exit(0)
            }
            guard let value = rest.popFirst() else { throw BenchError("\(name) needs a value\n\(Self.usage)") }
            func number() throws -> Double {
                guard let number = Double(value), number > 0 else { throw BenchError("\(name): not a positive number: \(value)") }
                return number
            }
            switch name {
            case "--devices": devices = Int(try number())
            case "--rate": rate = try number()
            case "--duration": duration = try number()
            case "--publishers": publishers = Int(try number())
            case "--observers": observers = Int(try number())
            case "--observer-qos":
                guard let qos = Int(value), (0...2).contains(qos) else { throw BenchError("--observer-qos: 0, 1 or 2") }
                observerQoS = qos
            case "--drain": drain = try number()
            case "--mosquitto": mosquitto = value
            default: throw BenchError("unknown option \(name)\n\(Self.usage)")
            }
        }
    }
}
