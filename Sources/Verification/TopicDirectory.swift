/// Maps a received topic to the device it belongs to and what it is for, without
/// turning the topic bytes into a `String` (which would allocate for every message).
///
/// Built once before the run from the plan's expanded topics; immutable afterwards
/// and shared by all observer connections. Open addressing on an FNV-1a hash of the
/// topic bytes, checked against the stored bytes.
public final class TopicDirectory: Sendable {
    /// What a topic carries for its device.
    public struct Roles: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Telemetry with a sequence number.
        public static let telemetry = Roles(rawValue: 1)
        /// The device's last will.
        public static let will = Roles(rawValue: 2)
        /// The device's birth / status message.
        public static let status = Roles(rawValue: 4)
        /// The device's replies to commands (`respond:`).
        public static let reply = Roles(rawValue: 8)
    }

    /// One topic of one device.
    public struct Entry: Sendable, Hashable {
        /// The device's index in the plan (index into observers' tracker arrays).
        public var device: Int
        public var roles: Roles

        public init(device: Int, roles: Roles) {
            self.device = device
            self.roles = roles
        }
    }

    /// One topic to register.
    public struct Registration: Sendable, Hashable {
        public var topic: String
        public var device: Int
        public var roles: Roles

        public init(topic: String, device: Int, roles: Roles) {
            self.topic = topic
            self.device = device
            self.roles = roles
        }
    }

    private let bytes: [UInt8]
    private let offsets: [Int]
    private let lengths: [Int]
    private let entries: [Entry]
    /// Slot → index into `entries` plus one (0 = empty).
    private let slots: [Int32]
    private let mask: Int

    /// Builds the directory. A topic registered twice keeps the union of its roles
    /// and the first device (a topic shared by devices cannot name one of them).
    public init(_ registrations: [Registration]) {
        var merged: [String: Int] = [:]
        var entries: [Entry] = []
        var topics: [String] = []
        for registration in registrations {
            if let index = merged[registration.topic] {
                entries[index].roles.formUnion(registration.roles)
            } else {
                merged[registration.topic] = entries.count
                entries.append(Entry(device: registration.device, roles: registration.roles))
                topics.append(registration.topic)
            }
        }
        var capacity = 16
        while capacity < entries.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for (index, topic) in topics.enumerated() {
            let utf8 = Array(topic.utf8)
            offsets.append(bytes.count)
            lengths.append(utf8.count)
            bytes.append(contentsOf: utf8)
            var slot = Int(truncatingIfNeeded: utf8.withUnsafeBytes { Self.hash($0) }) & (capacity - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(index + 1)
        }
        self.bytes = bytes
        self.offsets = offsets
        self.lengths = lengths
        self.entries = entries
        self.slots = slots
        self.mask = capacity - 1
    }

    /// Number of distinct topics.
    public var count: Int { entries.count }

    /// The entry for the topic in `topic` (raw UTF-8 bytes as received).
    public func lookup(_ topic: UnsafeRawBufferPointer) -> Entry? {
        var slot = Int(truncatingIfNeeded: Self.hash(topic)) & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return nil }
            let index = stored - 1
            if lengths[index] == topic.count && equalBytes(index, topic) { return entries[index] }
            slot = (slot + 1) & mask
        }
    }

    /// The entry for `topic`.
    public func lookup(_ topic: String) -> Entry? {
        var topic = topic
        return topic.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }

    private func equalBytes(_ index: Int, _ topic: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[index]
        for offset in 0..<topic.count where bytes[start + offset] != topic[offset] {
            return false
        }
        return true
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
