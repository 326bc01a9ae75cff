import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A local account that must read the PKI's files: a broker that drops privileges reads its
/// certificate and key as that account (mosquitto started as root becomes user `mosquitto`), so a key
/// written 0600 by root fails as printed unless the account owns it and can enter every folder above it.
public struct FileReader: Sendable, Hashable {
    public let name: String
    public let userID: UInt32
    public let primaryGroupID: UInt32
    /// The primary group and every supplementary group.
    public let groupIDs: Set<UInt32>

    public init(name: String, userID: UInt32, primaryGroupID: UInt32, groupIDs: Set<UInt32> = []) {
        self.name = name
        self.userID = userID
        self.primaryGroupID = primaryGroupID
        self.groupIDs = groupIDs.union([primaryGroupID])
    }

    /// The account called `name` on this machine, or nil if there is none.
    public static func account(named name: String) -> FileReader? {
        guard let entry = getpwnam(name) else { return nil }
        let userID = entry.pointee.pw_uid
        let primary = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        #if canImport(Darwin)
        let listed = groups.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: Int32.self, capacity: buffer.count) {
                getgrouplist(name, Int32(bitPattern: primary), $0, &count)
            }
        }
        #else
        let listed = getgrouplist(name, primary, &groups, &count)
        #endif
        let supplementary = listed >= 0 ? groups.prefix(Int(count)).map { UInt32($0) } : []
        return FileReader(name: name, userID: userID, primaryGroupID: primary, groupIDs: Set(supplementary))
    }

    /// The owner, group and permission bits of one file system entry.
    public struct Entry: Sendable, Hashable {
        public let ownerID: UInt32
        public let groupID: UInt32
        public let mode: UInt16

        public init(ownerID: UInt32, groupID: UInt32, mode: UInt16) {
            self.ownerID = ownerID
            self.groupID = groupID
            self.mode = mode
        }

        /// What the entry lets `reader` do, as the kernel decides it: owner bits, else group bits, else other bits.
        func permits(_ reader: FileReader, _ bit: UInt16) -> Bool {
            if reader.userID == 0 { return true }
            if ownerID == reader.userID { return mode & (bit << 6) != 0 }
            if reader.groupIDs.contains(groupID) { return mode & (bit << 3) != 0 }
            return mode & bit != 0
        }
    }

    /// Why this account cannot read the file at absolute `path`, or nil if it can: the first folder on
    /// the way it may not enter, or the file itself. `entry` looks up one path (injected for tests).
    public func obstacle(toReading path: String, entry: (String) -> Entry? = FileReader.entry(at:)) -> String? {
        var folder = ""
        for component in path.split(separator: "/").dropLast() {
            folder += "/" + component
            guard let info = entry(folder) else { return "\(folder) does not exist" }
            if !info.permits(self, 0o1) {
                return "user \(name) may not enter \(folder) (mode \(String(info.mode, radix: 8)), owner uid \(info.ownerID))"
            }
        }
        guard let info = entry(path) else { return "\(path) does not exist" }
        if !info.permits(self, 0o4) {
            return "user \(name) may not read \(path) (mode \(String(info.mode, radix: 8)), owner uid \(info.ownerID))"
        }
        return nil
    }

    /// `stat(2)` of `path`, following links.
    public static func entry(at path: String) -> Entry? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Entry(ownerID: UInt32(info.st_uid), groupID: UInt32(info.st_gid), mode: UInt16(info.st_mode & 0o7777))
    }
}
