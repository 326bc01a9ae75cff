#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which local address each device's socket binds to.
///
/// A socket bound to an address with port 0 takes an ephemeral port unique to that address, and
/// reconnects leave ports in TIME_WAIT; ~28,000 ephemeral ports per address do not stretch to tens of
/// thousands of devices that reconnect. Spreading devices over several loopback sources
/// (127.0.0.2, 127.0.0.3, … — all of 127/8 is local on Linux) multiplies the ports available.
public struct SourceAddressPlan: Sendable, Hashable {
    /// Empty = let the kernel choose (no bind).
    public let addresses: [String]

    public init(addresses: [String]) {
        self.addresses = addresses
    }

    /// The address for device `index` (round robin), or nil to let the kernel choose.
    public func address(forDevice index: Int) -> String? {
        addresses.isEmpty ? nil : addresses[index % addresses.count]
    }

    /// Devices per address that keeps half of the ephemeral range free for reconnects and TIME_WAIT.
    public static func devicesPerAddress(ephemeralPorts: Int) -> Int {
        max(ephemeralPorts / 2, 1)
    }

    /// The plan for a run: the scenario's own list when it has one; otherwise, for a loopback broker,
    /// as many addresses from 127.0.0.2 upwards as `connections` need; otherwise none (a remote
    /// broker is reached from whatever address routes to it).
    public static func plan(
        requested: [String],
        brokerHost: String,
        connections: Int,
        ephemeralPorts: Int = ephemeralPortCount()
    ) -> SourceAddressPlan {
        if !requested.isEmpty { return SourceAddressPlan(addresses: requested) }
        guard isLoopback(brokerHost), connections > 0 else { return SourceAddressPlan(addresses: []) }
        let perAddress = devicesPerAddress(ephemeralPorts: ephemeralPorts)
        let count = min((connections + perAddress - 1) / perAddress, 250)
        return SourceAddressPlan(addresses: (0..<count).map { "127.0.0.\($0 + 2)" })
    }

    /// Whether `host` is an IPv4 loopback address or `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.")
    }

    /// The size of the kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`),
    /// or the Linux default when it cannot be read.
    public static func ephemeralPortCount() -> Int {
        let linuxDefault = 60999 - 32768 + 1
        guard let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") else { return linuxDefault }
        defer { fclose(file) }
        var low: Int32 = 0
        var high: Int32 = 0
        let scanned = withUnsafeMutablePointer(to: &low) { lowPointer in
            withUnsafeMutablePointer(to: &high) { highPointer in
                withVaList([lowPointer, highPointer]) { vfscanf(file, "%d %d", $0) }
            }
        }
        guard scanned == 2, high >= low else { return linuxDefault }
        return Int(high - low + 1)
    }
}
