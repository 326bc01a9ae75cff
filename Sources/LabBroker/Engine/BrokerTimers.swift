import HeapModule
import NIOCore

/// Every deadline of the engine in one min-heap, invalidated lazily: an entry carries the generation
/// of the thing it was armed for, and one that no longer matches is dropped when it comes up. So a
/// connection's activity only updates a timestamp (O(1)), and nothing is ever removed from the middle.
struct BrokerTimers {
    enum Kind: Hashable {
        /// Keep-alive (1.5 × Keep Alive) or the CONNECT deadline of a fresh connection.
        case idle(ConnectionID)
        /// A delayed will of a disconnected session (by client ID).
        case will(String)
        /// A disconnected session's Session Expiry Interval.
        case sessionExpiry(String)
    }

    struct Entry: Comparable {
        var deadline: NIODeadline
        var kind: Kind
        var generation: UInt64

        static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.deadline < rhs.deadline }
        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.kind == rhs.kind && lhs.generation == rhs.generation
        }
    }

    private var heap = Heap<Entry>()

    var count: Int { heap.count }
    var nextDeadline: NIODeadline? { heap.min?.deadline }

    mutating func schedule(_ kind: Kind, at deadline: NIODeadline, generation: UInt64) {
        heap.insert(Entry(deadline: deadline, kind: kind, generation: generation))
    }

    /// The earliest entry if it is due at `now`.
    mutating func popDue(now: NIODeadline) -> Entry? {
        guard let first = heap.min, first.deadline <= now else { return nil }
        return heap.removeMin()
    }

    /// Drops every entry `isLive` rejects; called when stale entries outnumber live ones.
    mutating func compact(keeping isLive: (Entry) -> Bool) {
        heap = Heap(heap.unordered.filter(isLive))
    }
}
