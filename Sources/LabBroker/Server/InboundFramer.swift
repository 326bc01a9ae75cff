import MQTTCore
import NIOCore

/// Cuts one connection's inbound byte stream into MQTT frames, across reads of any size.
///
/// It keeps bytes only while a packet is incomplete, and lets go of them as soon as every byte has been
/// framed: an idle connection holds no buffer at all (tens of thousands of them must stay small). A
/// partial packet left in a much larger receive buffer is copied into a buffer of its own size so that
/// the large one is released.
struct InboundFramer {
    let maximumPacketSize: Int
    private var buffered: ByteBuffer?
    /// Set by the first framing error: the rest of the stream is meaningless and is discarded.
    private(set) var failed = false

    init(maximumPacketSize: Int) {
        self.maximumPacketSize = maximumPacketSize
    }

    /// Bytes received but not framed yet.
    var bufferedBytes: Int { buffered?.readableBytes ?? 0 }
    /// Size of the storage held for a partial packet; 0 when none is held.
    var bufferedStorageCapacity: Int { buffered?.storageCapacity ?? 0 }

    /// Adds received bytes after those already held.
    mutating func append(_ bytes: ByteBuffer) {
        guard !failed, bytes.readableBytes > 0 else { return }
        if var held = buffered {
            buffered = nil
            var bytes = bytes
            held.writeBuffer(&bytes)
            buffered = held
        } else {
            buffered = bytes
        }
    }

    /// The next complete frame, nil when more bytes are needed. After a throw, the framer holds nothing
    /// and ignores everything appended later.
    mutating func next() throws(MQTTDecodeError) -> MQTTFrame? {
        guard !failed, var held = buffered else { return nil }
        buffered = nil
        do {
            guard let frame = try MQTTFrame.read(from: &held, maximumPacketSize: maximumPacketSize) else {
                keepPartialPacket(held)
                return nil
            }
            buffered = held.readableBytes > 0 ? held : nil
            return frame
        } catch {
            failed = true
            throw error
        }
    }

    /// Stores an incomplete packet until more bytes come: a right-sized copy when its few bytes would
    /// otherwise pin a much larger receive buffer. Only here, not between the frames of one read, so a
    /// read holding many packets is never copied.
    private mutating func keepPartialPacket(_ held: ByteBuffer) {
        let remaining = held.readableBytes
        if held.storageCapacity > 2 * remaining + Self.compactionSlack {
            var copy = ByteBufferAllocator().buffer(capacity: remaining)
            copy.writeImmutableBuffer(held)
            buffered = copy
        } else {
            buffered = held
        }
    }

    /// Below this much waste a partial packet stays where it is.
    static let compactionSlack = 1024
}
