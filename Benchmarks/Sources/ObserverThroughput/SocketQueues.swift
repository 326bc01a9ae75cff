import Foundation

/// Bytes the kernel holds for readers that have not read them yet, on the benchmark broker's
/// loopback connections (`/proc/net/tcp`, rx_queue), read at one instant: what mosquitto has not
/// yet read from its clients (the publishers), and what its clients (the observer) have not yet
/// read from mosquitto. Where the bytes pile up is who is behind.
struct SocketQueues {
    var unreadByBroker = 0
    var unreadByClients = 0

    static func read(brokerPort: Int) -> SocketQueues {
        var queues = SocketQueues()
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return queues }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[3] != "0A", let local = port(fields[1]), let remote = port(fields[2]) else { continue }
            let queuesField = fields[4].split(separator: ":")
            guard queuesField.count == 2, let unread = Int(queuesField[1], radix: 16) else { continue }
            if local == brokerPort {
                queues.unreadByBroker += unread
            } else if remote == brokerPort {
                queues.unreadByClients += unread
            }
        }
        return queues
    }

    /// The port of an `ADDRESS:PORT` field in hex.
    private static func port(_ field: Substring) -> Int? {
        guard let colon = field.lastIndex(of: ":") else { return nil }
        return Int(field[field.index(after: colon)...], radix: 16)
    }
}
