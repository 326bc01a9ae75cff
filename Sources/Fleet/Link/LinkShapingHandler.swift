import NIOCore
import Scenario

/// Shapes one device's socket from inside its pipeline (placed first, next to the socket):
/// - bandwidth: a token bucket in bytes; a write that overdraws it waits until the debt is repaid;
/// - latency and jitter: each write is released `latency ± jitter` after it was allowed out, in order;
/// - stall: writes are held, reads are neither requested from the socket nor delivered, so the TCP
///   window closes as on a dead radio link; everything moves again when the stall ends.
///
/// Closing the channel discards what a stalled link still holds (a cut link loses it); otherwise a
/// close waits until the held writes have left, as the kernel sends queued data before its FIN.
public final class LinkShapingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private struct PendingWrite {
        var data: ByteBuffer
        var promise: EventLoopPromise<Void>?
        var releaseAt: NIODeadline?
        var flushed: Bool
    }

    private var shape: LinkShape
    private var random: SeededGenerator
    private var writes = CircularBuffer<PendingWrite>()
    private var heldReads = CircularBuffer<NIOAny>()
    private var readRequested = false
    private var pendingClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    private var tokens: Double = 0
    private var lastRefill: NIODeadline?
    private var lastRelease: NIODeadline = .uptimeNanoseconds(0)
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    public init(shape: LinkShape = .unshaped, random: SeededGenerator) {
        self.shape = shape
        self.random = random
    }

    /// The shape in force; change it with `apply(_:)` on the channel's event loop.
    public var currentShape: LinkShape { shape }

    /// Bytes written by the device and not yet released to the socket.
    public var heldBytes: Int { writes.reduce(0) { $0 + $1.data.readableBytes } }

    /// Changes the shape; must be called on the channel's event loop. Ending a stall releases what was
    /// held; removing a bandwidth cap forgives the bucket's debt.
    public func apply(_ newShape: LinkShape) {
        let wasStalled = shape.stalled
        if shape.bandwidthBitsPerSecond != newShape.bandwidthBitsPerSecond { lastRefill = nil }
        shape = newShape
        guard let context else { return }
        if newShape.isUnshaped {
            for index in writes.indices { writes[index].releaseAt = context.eventLoop.now }
        }
        if wasStalled && !newShape.stalled {
            resumeReads(context: context)
        }
        releaseDue(context: context)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        // Removal hands everything back to the pipeline unshaped.
        while let write = writes.popFirst() {
            context.write(wrapOutboundOut(write.data), promise: write.promise)
        }
        context.flush()
        while let read = heldReads.popFirst() { context.fireChannelRead(read) }
        if readRequested {
            readRequested = false
            context.read()
        }
        self.context = nil
    }

    // MARK: outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if shape.isUnshaped && writes.isEmpty {
            context.write(data, promise: promise)
            return
        }
        writes.append(PendingWrite(data: unwrapOutboundIn(data), promise: promise, releaseAt: nil, flushed: false))
    }

    public func flush(context: ChannelHandlerContext) {
        if shape.isUnshaped && writes.isEmpty {
            context.flush()
            return
        }
        for index in writes.indices where !writes[index].flushed { writes[index].flushed = true }
        releaseDue(context: context)
    }

    public func read(context: ChannelHandlerContext) {
        if shape.stalled {
            readRequested = true
        } else {
            context.read()
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .input || writes.isEmpty || shape.stalled {
            if mode != .input { dropWrites(error: ChannelError.ioOnClosedChannel) }
            context.close(mode: mode, promise: promise)
            return
        }
        pendingClose = (mode, promise)
    }

    // MARK: inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if shape.stalled || !heldReads.isEmpty {
            heldReads.append(data)
        } else {
            context.fireChannelRead(data)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if heldReads.isEmpty { context.fireChannelReadComplete() }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        dropWrites(error: ChannelError.ioOnClosedChannel)
        // What arrived before the connection ended is still delivered (the kernel had it).
        while let read = heldReads.popFirst() { context.fireChannelRead(read) }
        context.fireChannelInactive()
    }

    // MARK: shaping

    private func resumeReads(context: ChannelHandlerContext) {
        if !heldReads.isEmpty {
            while let read = heldReads.popFirst() { context.fireChannelRead(read) }
            context.fireChannelReadComplete()
        }
        if readRequested {
            readRequested = false
            context.read()
        }
    }

    /// Gives every flushed write without a release time one (in order), writes out those due, and arms
    /// the timer for the next.
    private func releaseDue(context: ChannelHandlerContext) {
        guard !shape.stalled else {
            timer?.cancel()
            timer = nil
            return
        }
        let now = context.eventLoop.now
        for index in writes.indices where writes[index].flushed && writes[index].releaseAt == nil {
            writes[index].releaseAt = releaseTime(bytes: writes[index].data.readableBytes, now: now)
        }
        var wrote = false
        while let first = writes.first, first.flushed, let releaseAt = first.releaseAt, releaseAt <= now {
            writes.removeFirst()
            context.write(wrapOutboundOut(first.data), promise: first.promise)
            wrote = true
        }
        if wrote { context.flush() }
        timer?.cancel()
        timer = nil
        if let next = writes.first, next.flushed, let releaseAt = next.releaseAt {
            timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: releaseAt) {
                self.timer = nil
                self.releaseDue(context: context)
            }
        } else if writes.isEmpty, let close = pendingClose {
            pendingClose = nil
            context.close(mode: close.mode, promise: close.promise)
        }
    }

    private func releaseTime(bytes: Int, now: NIODeadline) -> NIODeadline {
        var allowedAt = now
        if let bitsPerSecond = shape.bandwidthBitsPerSecond, bitsPerSecond > 0 {
            let bytesPerSecond = Double(bitsPerSecond) / 8
            // A burst allowance of one segment or 100 ms of rate, whichever is larger.
            let capacity = max(1460, bytesPerSecond / 10)
            if let lastRefill {
                let elapsed = Double((now - lastRefill).nanoseconds) / 1e9
                tokens = min(capacity, tokens + elapsed * bytesPerSecond)
            } else {
                tokens = capacity
            }
            lastRefill = now
            tokens -= Double(bytes)
            if tokens < 0 {
                allowedAt = now + .nanoseconds(Int64((-tokens / bytesPerSecond) * 1e9))
            }
        }
        var delay = shape.latency
        if shape.jitter > .zero {
            let unit = Double(random.next() >> 11) * 0x1.0p-53
            let spread = shape.jitter * (2 * unit - 1)
            delay = max(.zero, delay + spread)
        }
        let releaseAt = max(allowedAt + TimeAmount(delay), lastRelease)
        lastRelease = releaseAt
        return releaseAt
    }

    private func dropWrites(error: any Error) {
        while let write = writes.popFirst() { write.promise?.fail(error) }
        if let close = pendingClose {
            pendingClose = nil
            close.promise?.fail(error)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let parts = duration.components
        self = .nanoseconds(parts.seconds &* 1_000_000_000 &+ parts.attoseconds / 1_000_000_000)
    }
}
